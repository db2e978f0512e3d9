/// The Python program that checks the fake's answers against the OpenAPI document, with jsonschema (draft
/// 2020-12, the dialect of OpenAPI 3.1) and referencing: validators we did not write.
enum ResponseShapeCheck {
    /// Reads `{document, samples: [{operation: "GET /session/{sessionID}", status, contentType, body}]}` from the
    /// file named by its argument and validates each body against the schema the document gives that operation,
    /// status (else its `5XX`-style range) and content type. A response given as a `$ref` is followed; every
    /// `$ref` is resolved inside the whole document. Prints one line per mismatch (a missing operation, status or
    /// content type is one); exits 1 when there is any.
    static let script = """
        import json, sys
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        with open(sys.argv[1]) as file:
            given = json.load(file)
        document = given["document"]
        base = "urn:openapi"
        registry = Registry().with_resource(
            base, Resource.from_contents(document, default_specification=DRAFT202012))

        def escape(token):
            return token.replace("~", "~0").replace("/", "~1")

        def unescape(token):
            return token.replace("~1", "/").replace("~0", "~")

        def at(tokens):
            node = document
            for token in tokens:
                node = node[token]
            return node

        # The errors behind a failed oneOf: those of the branches whose discriminating constant matched.
        def explain(error):
            if error.validator != "oneOf" or not error.context:
                return [error]
            branches = {}
            for sub in error.context:
                branches.setdefault(sub.relative_schema_path[0], []).append(sub)
            fitting = [
                sub for subs in branches.values()
                if not any(s.validator == "const" and len(s.relative_path) == 1 for s in subs) for sub in subs
            ]
            return [cause for sub in fitting for cause in explain(sub)] or [error]

        failures = []
        for sample in given["samples"]:
            method, path = sample["operation"].split(" ", 1)
            name = f'{sample["operation"]} -> {sample["status"]} {sample["contentType"]}'
            try:
                responses = ["paths", path, method.lower(), "responses"]
                status = str(sample["status"])
                if status not in at(responses):
                    status = status[0] + "XX"
                tokens = responses + [status]
                reference = at(tokens).get("$ref")
                if reference:
                    tokens = [unescape(token) for token in reference.split("/")[1:]]
                tokens += ["content", sample["contentType"], "schema"]
                at(tokens)
            except KeyError as missing:
                failures.append(f"{name}: not in the document (no {missing})")
                continue
            pointer = "".join("/" + escape(token) for token in tokens)
            validator = Draft202012Validator({"$ref": base + "#" + pointer}, registry=registry)
            for error in validator.iter_errors(sample["body"]):
                for cause in explain(error):
                    failures.append(f"{name}: {cause.message} at {list(cause.absolute_path)}")
        print("\\n".join(failures))
        sys.exit(1 if failures else 0)
        """
}
