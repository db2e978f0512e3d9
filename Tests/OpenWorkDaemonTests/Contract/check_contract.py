"""Checks openwork's integrator contract with validators we did not write (jsonschema, referencing).

  check_contract.py document OPENRPC.json
      The OpenRPC document against the official meta-schema (openrpc-meta-schema.json beside this file), and each
      method's examples against its own param and result schemas.
  check_contract.py trace OPENRPC.json TRACE.jsonl...
      Every line an `OPENWORK_RPC_TRACE` file holds: a result against its method's result schema, an error
      against the error shape (`data` against components.schemas.ErrorData) and the method's declared
      (code, data.kind) pairs (`test.*` methods fail with any kind), an `event` notification against the
      event union.

Answers are checked with every object schema that lists `properties` closed (`additionalProperties: false`
unless the schema says otherwise), so a member an answer carries and the document does not describe fails.
Prints one line per failure, then `N passed, N failed`; exits 1 when anything failed or nothing was checked.
"""

import json
import pathlib
import sys

import jsonschema
import referencing
import referencing.jsonschema

HERE = pathlib.Path(__file__).resolve().parent
BASE = "urn:openwork:openrpc"


def closed(node):
    """The document with every object schema that lists `properties` (and composes nothing) closed."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: closed(value) for key, value in node.items()}
    composed = any(key in node for key in ("allOf", "anyOf", "oneOf"))
    if isinstance(node.get("properties"), dict) and "additionalProperties" not in node and not composed:
        result["additionalProperties"] = False
    return result


class Contract:
    def __init__(self, document):
        self.document = closed(document)
        resource = referencing.Resource.from_contents(
            self.document, default_specification=referencing.jsonschema.DRAFT7)
        self.registry = referencing.Registry().with_resource(BASE, resource)
        self.methods = {method["name"]: index for index, method in enumerate(document["methods"])}
        self.notifications = {entry["name"]: index for index, entry in enumerate(document.get("x-notifications", []))}
        self.protocol = document["components"]["errors"]

    def validator(self, pointer):
        return jsonschema.Draft7Validator({"$ref": f"{BASE}#{pointer}"}, registry=self.registry)

    def problems(self, pointer, value):
        return [f"{error.json_path}: {error.message[:300]}" for error in self.validator(pointer).iter_errors(value)]

    def declared_errors(self, method):
        """The (code, kind) pairs a method declares, $refs to components.errors resolved."""
        pairs = set()
        for error in self.document["methods"][self.methods[method]].get("errors", []):
            if "$ref" in error:
                error = self.protocol[error["$ref"].rsplit("/", 1)[-1]]
            pairs.add((error["code"], error["data"]["kind"]))
        return pairs

    def check_response(self, method, response):
        if "error" in response:
            error = response["error"]
            shape = []
            if not isinstance(error.get("code"), int) or not isinstance(error.get("message"), str):
                shape.append("error: code must be an integer and message a string")
            kind = (error.get("data") or {}).get("kind") if isinstance(error.get("data"), dict) else None
            if not isinstance(kind, str):
                shape.append("error.data.kind must be a string")
            if shape:
                return shape
            shape = self.problems("/components/schemas/ErrorData", error["data"])
            if shape:
                return [f"error.data: {problem}" for problem in shape]
            pair = (error["code"], kind)
            if method not in self.methods:
                allowed = {(entry["code"], entry["data"]["kind"]) for entry in self.protocol.values()}
            else:
                allowed = self.declared_errors(method) | {
                    (entry["code"], entry["data"]["kind"]) for entry in self.protocol.values()
                    if entry["data"]["kind"] in ("method_not_found", "invalid_request", "parse_error")}
            if method.startswith("test.") and method in self.methods:
                return []
            return [] if pair in allowed else [f"error {pair} is not among the errors {method} declares"]
        if method not in self.methods:
            return [f"a result for {method}, which the document does not list"]
        entry = self.document["methods"][self.methods[method]]
        if "result" not in entry:
            return [] if response.get("result") is None else [f"{method} has no result, answered {response['result']}"]
        return self.problems(f"/methods/{self.methods[method]}/result/schema", response.get("result"))

    def check_notification(self, message):
        name = message.get("method")
        if name not in self.notifications:
            return [f"notification {name} is not in x-notifications"]
        return self.problems(f"/x-notifications/{self.notifications[name]}/params/schema", message.get("params"))


def report(failures, passed):
    for failure in failures:
        print(failure)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures or passed == 0 else 0


def check_document(path):
    document = json.loads(pathlib.Path(path).read_text())
    meta = json.loads((HERE / "openrpc-meta-schema.json").read_text())
    failures = [f"meta-schema: {error.json_path}: {error.message[:300]}"
                for error in jsonschema.Draft7Validator(meta).iter_errors(document)]
    if failures:
        return report(failures, 0)
    passed = 1
    contract = Contract(document)
    for index, method in enumerate(document["methods"]):
        params = {param["name"]: position for position, param in enumerate(method["params"])}
        for example in method.get("examples", []):
            label = f"{method['name']} example {example['name']!r}"
            problems = []
            for given in example["params"]:
                if given["name"] not in params:
                    problems.append(f"param {given['name']} is not a param of the method")
                    continue
                pointer = f"/methods/{index}/params/{params[given['name']]}/schema"
                problems += contract.problems(pointer, given["value"])
            if "result" in example:
                problems += contract.problems(f"/methods/{index}/result/schema", example["result"]["value"])
            failures += [f"{label}: {problem}" for problem in problems]
            passed += 0 if problems else 1
    return report(failures, passed)


def check_trace(document_path, traces):
    contract = Contract(json.loads(pathlib.Path(document_path).read_text()))
    failures, passed = [], 0
    for trace in traces:
        for number, line in enumerate(pathlib.Path(trace).read_text().splitlines(), start=1):
            record = json.loads(line)
            if "notification" in record:
                label = f"{trace}:{number} notification {record['notification'].get('method')}"
                problems = contract.check_notification(record["notification"])
            else:
                label = f"{trace}:{number} {record['method']}"
                responses = record["response"] if isinstance(record["response"], list) else [record["response"]]
                problems = [problem for response in responses for problem in
                            contract.check_response(record["method"], response)]
            failures += [f"{label}: {problem}" for problem in problems]
            passed += 0 if problems else 1
    return report(failures, passed)


def main(arguments):
    if len(arguments) == 2 and arguments[0] == "document":
        return check_document(arguments[1])
    if len(arguments) >= 3 and arguments[0] == "trace":
        return check_trace(arguments[1], arguments[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
