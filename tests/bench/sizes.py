"""Each function's Lambda bootstrap (target/lambda/<name>/bootstrap) and its size
zipped at deflate level 9, as uploaded; with the ELF machine, to show it is arm64,
and when it was built. Usage: sizes.py NAME... > sizes.json"""

import io
import json
import os
import sys
import time
import zipfile

MACHINES = {0x3E: "x86-64", 0xB7: "arm64"}


def measure(name: str) -> dict:
    path = f"target/lambda/{name}/bootstrap"
    if not os.path.exists(path):
        return {"name": name, "missing": path}
    with open(path, "rb") as f:
        data = f.read()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("bootstrap", data)
    return {
        "name": name,
        "bytes": len(data),
        "zipped": len(buffer.getvalue()),
        "machine": MACHINES.get(int.from_bytes(data[18:20], "little"), "other"),
        "built": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(path))),
    }


print(json.dumps([measure(name) for name in sys.argv[1:]], indent=2))
