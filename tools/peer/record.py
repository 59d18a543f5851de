#!/usr/bin/env python3
"""Runs a JSON-RPC scenario against a Zabbix-compatible API and writes the normalised responses.

    tools/peer/record.py SCENARIO.jsonl OUT.json [URL]

Used by developers to record what the real Zabbix 6.0.14 answers (tests never call it): the Swift
test `CompatibilityTests` replays the recorded scenario against Tessera and expects the same answers.

Each scenario line is a JSON array: [method, params, credential] where credential is null (no auth),
"admin" (a session of Admin / zabbix), ["login", user, password] (a session of that user) or
["token", N] (the first token value returned by step N, counting from 0).
A string "$TOKENn" in params is replaced by the token value of step n.
A line may instead be {"raw": "<body>"} to send a body as is.
"""
import json
import re
import sys
import urllib.request

TIMES = re.compile(r'"(clock|created_at|lastaccess|attempt_clock)":"\d+"')


def normalise(text):
    text = TIMES.sub(r'"\1":"N"', text)
    text = re.sub(r'"[0-9a-f]{64}"', '"TOKEN"', text)
    text = re.sub(r'"[0-9a-f]{32}"', '"SESSION"', text)
    text = re.sub(r'"c[0-9a-z]{24}"', '"CUID"', text)
    return text


def post(url, body):
    request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json-rpc"})
    with urllib.request.urlopen(request) as response:
        return response.read().decode()


def main():
    scenario, out = sys.argv[1], sys.argv[2]
    url = sys.argv[3] if len(sys.argv) > 3 else "http://127.0.0.1:8080/api_jsonrpc.php"
    sessions, raw_results, steps = {}, [], []

    def credential(ref):
        if ref is None:
            return None
        if ref == "admin":
            ref = ["login", "Admin", "zabbix"]
        if ref[0] == "login":
            key = (ref[1], ref[2])
            if key not in sessions:
                body = json.dumps({"jsonrpc": "2.0", "method": "user.login", "params": {"username": ref[1], "password": ref[2]}, "id": 0})
                sessions[key] = json.loads(post(url, body))["result"]
            return sessions[key]
        if ref[0] == "token":
            return json.loads(raw_results[ref[1]])["result"][0]["token"]
        raise ValueError(ref)

    for line in open(scenario):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        step = json.loads(line)
        if isinstance(step, dict):
            body = step["raw"]
        else:
            method, params, ref = step[0], step[1], step[2] if len(step) > 2 else "admin"
            text = json.dumps(params)
            for match in re.findall(r'\$TOKEN(\d+)', text):
                text = text.replace("$TOKEN" + match, credential(["token", int(match)]))
            request = {"jsonrpc": "2.0", "method": method, "params": json.loads(text)}
            auth = credential(ref)
            if auth is not None:
                request["auth"] = auth
            request["id"] = len(steps)
            body = json.dumps(request)
        response = post(url, body)
        raw_results.append(response)
        steps.append({"step": step, "response": normalise(response)})
    json.dump(steps, open(out, "w"), indent=1, ensure_ascii=False)
    print(f"{len(steps)} steps recorded to {out}")


if __name__ == "__main__":
    main()
