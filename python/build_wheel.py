#!/usr/bin/env python3
"""Make a wheel of the staged package with no network and no build tool: a zip in
the wheel format (PEP 427: the package, a .dist-info with METADATA, WHEEL, RECORD).

    python3 python/build_wheel.py STAGE OUTDIR     (what `make wheel` runs)

STAGE is BUILD/python (the cvxrelu package with its compiled _core module, as the
build leaves it); the wheel is tagged for this interpreter and platform, since
_core is compiled for them (docs/python.md, "A wheel").  Prints the wheel's path.
"""

import base64
import hashlib
import os
import re
import sys
import sysconfig
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def version():
    with open(os.path.join(ROOT, "include", "cvxrelu.h")) as f:
        m = re.search(r'#define CVXRELU_VERSION "([^"]+)"', f.read())
    if not m:
        sys.exit("build_wheel: no CVXRELU_VERSION in include/cvxrelu.h")
    return m.group(1)


def tag(package):
    """cpXY-cpXY-platform, checked against the module's own suffix."""
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not any(n.startswith("_core") and n.endswith(suffix) for n in os.listdir(package)):
        sys.exit(f"build_wheel: no _core{suffix} in {package}: build the module with this "
                 f"interpreter ({sys.executable}) first (make build)")
    plat = re.sub(r"[^A-Za-z0-9_]", "_", sysconfig.get_platform())
    return f"{py}-{py}-{plat}"


def record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    stage, outdir = argv[1], argv[2]
    package = os.path.join(stage, "cvxrelu")
    ver, wtag = version(), tag(package)
    files = []  # (arcname, bytes)
    for name in sorted(os.listdir(package)):
        if name.endswith(".py") or name.endswith(sysconfig.get_config_var("EXT_SUFFIX")):
            with open(os.path.join(package, name), "rb") as f:
                files.append((f"cvxrelu/{name}", f.read()))
    info = f"cvxrelu-{ver}.dist-info"
    metadata = (f"Metadata-Version: 2.1\nName: cvxrelu\nVersion: {ver}\n"
                f"Summary: Train ReLU networks by convex optimization, with certificates\n"
                f"License: MIT\nRequires-Python: =={sys.version_info.major}."
                f"{sys.version_info.minor}.*\nRequires-Dist: numpy\n"
                f"Provides-Extra: sklearn\nRequires-Dist: scikit-learn; extra == 'sklearn'\n")
    wheel = (f"Wheel-Version: 1.0\nGenerator: cvxrelu build_wheel.py\n"
             f"Root-Is-Purelib: false\nTag: {wtag}\n")
    with open(os.path.join(ROOT, "LICENSE"), "rb") as f:
        license_text = f.read()
    files += [(f"{info}/METADATA", metadata.encode()), (f"{info}/WHEEL", wheel.encode()),
              (f"{info}/top_level.txt", b"cvxrelu\n"), (f"{info}/LICENSE", license_text)]
    record = "\n".join(record_line(a, d) for a, d in files) + f"\n{info}/RECORD,,\n"
    files.append((f"{info}/RECORD", record.encode()))
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, f"cvxrelu-{ver}-{wtag}.whl")
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data in files:
            zi = zipfile.ZipInfo(arcname, date_time=(2026, 1, 1, 0, 0, 0))
            zi.external_attr = (0o755 if arcname.endswith(".so") else 0o644) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    os.replace(tmp, path)  # atomically: a wheel is whole or absent
    print(path)


if __name__ == "__main__":
    main(sys.argv)
