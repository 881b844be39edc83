#!/usr/bin/env python3
"""Writes the module as an OCI image layout tarball in Istio's *oci* variant
of the Wasm image format (solo-io/wasm spec, which Istio's image fetcher
reads): an OCI manifest with two layers, the runtime configuration
(`application/vnd.module.wasm.config.v1+json`, also the image config) and
the module itself, raw (`application/vnd.module.wasm.content.layer.v1+wasm`).

    oci_image.py MODULE.wasm VERSION OUT.tar

The tarball is an OCI image layout (oci-layout, index.json, blobs/) tagged
VERSION; `skopeo copy oci-archive:OUT.tar docker://REGISTRY/monogram:VERSION`
pushes it. The same module gives the same bytes (fixed times and order)."""
import hashlib
import io
import json
import re
import sys
import tarfile

WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm"
WASM_CONFIG = "application/vnd.module.wasm.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def descriptor(media_type, data, title=None):
    d = {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
         "size": len(data)}
    if title:
        d["annotations"] = {"org.opencontainers.image.title": title}
    return d


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def image(module, version):
    """{path in the layout: bytes}."""
    if module[:4] != b"\0asm":
        raise SystemExit("not a wasm module")
    # The proxy-wasm ABI the module declares (an exported function's name).
    abi = sorted(set(m.decode() for m in re.findall(rb"proxy_abi_version_\d+_\d+_\d+", module)))
    runtime = canonical({"type": "envoy_proxy", "abiVersions": abi,
                         "config": {"root_ids": ["monogram"]}})
    manifest = canonical({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": descriptor(WASM_CONFIG, runtime),
        "layers": [descriptor(WASM_CONFIG, runtime, "runtime-config.json"),
                   descriptor(WASM_LAYER, module, "plugin.wasm")],
        "annotations": {"org.opencontainers.image.title": "monogram",
                        "org.opencontainers.image.version": version},
    })
    index = canonical({"schemaVersion": 2, "manifests": [
        dict(descriptor(MANIFEST, manifest),
             annotations={"org.opencontainers.image.ref.name": version})]})
    files = {"oci-layout": canonical({"imageLayoutVersion": "1.0.0"}), "index.json": index}
    for blob in (runtime, module, manifest):
        files["blobs/sha256/" + hashlib.sha256(blob).hexdigest()] = blob
    return files


def write_tar(files, out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        for path in sorted(files):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(files[path]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[path]))


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    module_path, version, out = sys.argv[1:]
    with open(module_path, "rb") as f:
        write_tar(image(f.read(), version), out)


if __name__ == "__main__":
    main()
