"""Reads a JUnit XML file with junitparser (a consumer we did not write) and prints what it understood as JSON.

Used by HarnessTests: the harness's --junit output must be read the way CI systems read it.
"""
import json
import sys

from junitparser import JUnitXml

xml = JUnitXml.fromfile(sys.argv[1])
suites = []
for suite in xml:
    cases = []
    for case in suite:
        cases.append({
            "name": case.name,
            "classname": case.classname,
            "time": case.time,
            "file": case._elem.get("file"),
            "results": [{"kind": type(r).__name__, "message": r.message, "type": r.type, "text": r.text}
                        for r in case.result],
            "systemOut": case.system_out,
            "systemErr": case.system_err,
        })
    suites.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures, "errors": suite.errors,
                   "skipped": suite.skipped, "time": suite.time, "cases": cases})
print(json.dumps({"tests": xml.tests, "failures": xml.failures, "skipped": xml.skipped, "suites": suites}))
