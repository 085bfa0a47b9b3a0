"""Builds and installs sst_runtime from this source tree, offline:

    pip install ./runtime            (or: python3 setup.py bdist_wheel)

It compiles the same C sources as the CMake build (runtime/*.c, the
detectors of runtime/detect, and the catalogue part of the rewriter core),
embeds the catalogue data files the way rewriter/embed.cmake does, and ships
those files in the package for the pure-Python fallback. Only setuptools
(and wheel, for pip) are needed; nothing comes from PyPI. System libraries:
libpcre2-8 and libxxhash (Debian: libpcre2-dev, libxxhash-dev).
"""
import atexit
import os
import re
import shutil
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REWRITER = os.path.join(ROOT, "rewriter")
DETECT = os.path.join(HERE, "detect")
CATALOG_DIR = os.path.join(REWRITER, "catalog")
# Object files go to a scratch directory, removed at exit, so a build leaves
# nothing in the source tree (SST_PIP_BUILD_DIR keeps them somewhere).
BUILD_BASE = os.environ.get("SST_PIP_BUILD_DIR") or tempfile.mkdtemp(prefix="sst-runtime-build-")
if not os.environ.get("SST_PIP_BUILD_DIR"):
    atexit.register(shutil.rmtree, BUILD_BASE, True)

# The parts of the rewriter core the runtime uses: the catalogue and what it needs.
CORE_SOURCES = ["catalog.c", "error.c", "arena.c"]


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


class BuildExt(build_ext):
    def run(self):
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
    sources=[os.path.join("runtime", s) for s in runtime_sources()]
    + [os.path.join("runtime", "detect", s) for s in library_sources(os.path.join(DETECT, "CMakeLists.txt"),
                                                                      "sst_detect")]
    + [os.path.join("rewriter", s) for s in CORE_SOURCES],
    include_dirs=[HERE, DETECT, os.path.join(REWRITER, "include"), REWRITER],
    libraries=["pcre2-8", "xxhash", "pthread"],
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
    cmdclass={"build_ext": BuildExt, "build_py": BuildPy},
    options={"build": {"build_base": BUILD_BASE}, "egg_info": {"egg_base": BUILD_BASE},
             "bdist_wheel": {"bdist_dir": os.path.join(BUILD_BASE, "bdist")}},
    python_requires=">=3.8",
    zip_safe=False,
)
