"""Builds and installs sst_runtime from this source tree, offline:

    pip install ./runtime            (or: python3 setup.py bdist_wheel)

It compiles the same C sources as the CMake build: runtime/*.c, the
detectors of runtime/detect, and the whole rewriter core with the pinned
tree-sitter-python grammar (the import hook rewrites with it). It embeds the
catalogue data files the way rewriter/embed.cmake does, and ships those files
in the package for the pure-Python fallback. Only setuptools (and wheel, for
pip) are needed; nothing comes from PyPI. System libraries: libpcre2-8,
libxxhash and libtree-sitter (Debian: libpcre2-dev, libxxhash-dev,
libtree-sitter-dev).

The grammar is the tarball grammar/tree-sitter-python.pin names, unpacked
and checked by grammar/fetch.sh. It is taken, in this order, from
SST_GRAMMAR_TARBALL, from a CMake build directory of this checkout
(build/grammar-src or build/*/grammar-src), or from npm, which is told to
prefer its cache, so a machine that has built the project once builds
offline.
"""
import atexit
import base64
import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_clib import build_clib
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REWRITER = os.path.join(ROOT, "rewriter")
DETECT = os.path.join(HERE, "detect")
CATALOG_DIR = os.path.join(REWRITER, "catalog")
GRAMMAR = os.path.join(ROOT, "grammar")
GRAMMAR_PIN = os.path.join(GRAMMAR, "tree-sitter-python.pin")
# Object files go to a scratch directory, removed at exit, so a build leaves
# nothing in the source tree (SST_PIP_BUILD_DIR keeps them somewhere).
BUILD_BASE = os.environ.get("SST_PIP_BUILD_DIR") or tempfile.mkdtemp(prefix="sst-runtime-build-")
if not os.environ.get("SST_PIP_BUILD_DIR"):
    atexit.register(shutil.rmtree, BUILD_BASE, True)

# The grammar's generated sources are unpacked here, at build time.
GRAMMAR_SRC = os.path.join(BUILD_BASE, "grammar-src")


def library_sources(cmake_file, target):
    """The C sources of add_library(TARGET STATIC|MODULE ...) in CMAKE_FILE."""
    with open(cmake_file, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"add_library\(\s*%s\s+(?:STATIC|MODULE)(?:\s+WITH_SOABI)?\s+([^)]*)\)" % re.escape(target),
                  text)
    if not m:
        raise SystemExit(f"setup.py: no add_library({target} STATIC ...) in {cmake_file}")
    return [w for w in m.group(1).split() if w.endswith(".c")]


def runtime_sources():
    return library_sources(os.path.join(HERE, "CMakeLists.txt"), "sst_runtime_ext")


def core_sources():
    """The rewriter core, sst_core of rewriter/CMakeLists.txt (its generated
    catalog_data.c is written by BuildExt)."""
    return [s for s in library_sources(os.path.join(REWRITER, "CMakeLists.txt"), "sst_core") if "$" not in s]


def pin():
    with open(GRAMMAR_PIN, encoding="utf-8") as f:
        return dict(re.findall(r"^(\w+)=(.*)$", f.read(), re.M))


def integrity(path):
    with open(path, "rb") as f:
        return "sha512-" + base64.b64encode(hashlib.sha512(f.read()).digest()).decode()


def local_grammar_tarball():
    """A tarball matching the pin that is already on this machine, or None."""
    if os.environ.get("SST_GRAMMAR_TARBALL"):
        return os.environ["SST_GRAMMAR_TARBALL"]
    p = pin()
    name = "%s-%s.tgz" % (p.get("name"), p.get("version"))
    for path in sorted(glob.glob(os.path.join(ROOT, "build", "grammar-src", name))
                       + glob.glob(os.path.join(ROOT, "build", "*", "grammar-src", name))):
        try:
            if integrity(path) == p.get("integrity"):
                return path
        except OSError:
            continue
    return None


def fetch_grammar():
    """Unpacks the pinned grammar into GRAMMAR_SRC with grammar/fetch.sh."""
    env = dict(os.environ, npm_config_prefer_offline="true", npm_config_audit="false",
               npm_config_fund="false", npm_config_update_notifier="false")
    tarball = local_grammar_tarball()
    if tarball:
        env["SST_GRAMMAR_TARBALL"] = tarball
    rc = subprocess.call(["sh", os.path.join(GRAMMAR, "fetch.sh"), GRAMMAR_PIN, GRAMMAR_SRC], env=env)
    if rc != 0:
        raise SystemExit("setup.py: could not obtain the pinned tree-sitter-python grammar (see above); "
                         "set SST_GRAMMAR_TARBALL to a copy of the tarball grammar/tree-sitter-python.pin names")


def catalog_files():
    return sorted(f for f in os.listdir(CATALOG_DIR) if f.endswith(".cat"))


def version():
    with open(os.path.join(REWRITER, "include", "sst", "rewrite.h"), encoding="utf-8") as f:
        return re.search(r'#define SST_VERSION "([^"]+)"', f.read()).group(1)


def embed_catalog(out_path):
    """The catalogue as one C string, as rewriter/embed.cmake writes it."""
    text = b""
    for name in catalog_files():
        with open(os.path.join(CATALOG_DIR, name), "rb") as f:
            text += b"#file " + name.encode() + b"\n" + f.read() + b"\n"
    body = "".join("0x%02x,%s" % (b, "\n" if i % 16 == 15 else "") for i, b in enumerate(text))
    with open(out_path + ".tmp", "w", encoding="ascii") as f:
        f.write("/* Generated from rewriter/catalog/*.cat by runtime/setup.py; do not edit. */\n"
                "#include <stddef.h>\nconst char sst_catalog_builtin_data[] = {\n%s0x00};\n"
                "const size_t sst_catalog_builtin_size = %d;\n" % (body, len(text)))
    os.replace(out_path + ".tmp", out_path)


class BuildClib(build_clib):
    """Builds the grammar as a static library, with its own flags (generated
    third-party code: the project's warnings do not apply to it)."""

    def run(self):
        fetch_grammar()
        super().run()


class BuildExt(build_ext):
    def run(self):
        self.run_command("build_clib")
        os.makedirs(self.build_temp, exist_ok=True)
        generated = os.path.join(self.build_temp, "catalog_data.c")
        embed_catalog(generated)
        for ext in self.extensions:
            ext.sources.append(generated)
        super().run()


class BuildPy(build_py):
    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "sst_runtime", "catalog")
        os.makedirs(target, exist_ok=True)
        for name in catalog_files():
            self.copy_file(os.path.join(CATALOG_DIR, name), os.path.join(target, name))


extension = Extension(
    "sst_runtime._sst",
    # (runtime sources may lie elsewhere in the tree: ../rewriter/cli/walk.c)
    sources=[os.path.normpath(os.path.join("runtime", s)) for s in runtime_sources()]
    + [os.path.join("runtime", "detect", s) for s in library_sources(os.path.join(DETECT, "CMakeLists.txt"),
                                                                      "sst_detect")]
    + [os.path.join("rewriter", s) for s in core_sources()],
    include_dirs=[HERE, DETECT, os.path.join(REWRITER, "include"), REWRITER, os.path.join(REWRITER, "cli")],
    libraries=["pcre2-8", "xxhash", "tree-sitter", "pthread"],
    extra_compile_args=["-std=gnu11", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
)

# Sources are named from the project root so that object files stay inside
# the build directory.
os.chdir(ROOT)
os.makedirs(BUILD_BASE, exist_ok=True)

setup(
    name="sst-runtime",
    version=version(),
    description="Run-time half of sst-rewrite: tags personal data and records where it goes",
    packages=["sst_runtime"],
    package_dir={"sst_runtime": os.path.join("runtime", "sst_runtime")},
    ext_modules=[extension],
    libraries=[("ts_python", {
        "sources": [os.path.join(GRAMMAR_SRC, "package", "src", "parser.c"),
                    os.path.join(GRAMMAR_SRC, "package", "src", "scanner.c")],
        "include_dirs": [os.path.join(GRAMMAR_SRC, "package", "src")],
        "cflags": ["-std=gnu11", "-w", "-O2"],
    })],
    cmdclass={"build_clib": BuildClib, "build_ext": BuildExt, "build_py": BuildPy},
    options={"build": {"build_base": BUILD_BASE}, "egg_info": {"egg_base": BUILD_BASE},
             "bdist_wheel": {"bdist_dir": os.path.join(BUILD_BASE, "bdist")}},
    python_requires=">=3.8",
    zip_safe=False,
)
