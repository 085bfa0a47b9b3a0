/* CUnit suite for scope.c and resolve.c: the scopes of small modules and
 * Python's locality rules (functions, classes, lambdas, comprehensions,
 * global, nonlocal, walrus, del), and sst_resolve's API path for calls
 * reached through every import form, assignments, with-as, rebinding,
 * shadowing and builtins. A test catalogue adds a few paths to the built-in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "expect.h"

#include "flat.h"
#include "parse.h"
#include "resolve.h"
#include "scope.h"

static const char test_catalog_text[] =
    "service test\n"
    "external a.b.c.send\n"
    "external pkg.mod.send\n"
    "external acme.Client().send\n"
    "returns acme.connect() -> acme.Client()\n";

/* The built-in catalogue plus the test entries; read-only during the tests. */
static sst_catalog *catalog;
static int init_failed;

static int suite_init(void)
{
    sst_error err = {0};
    if (sst_catalog_load_builtin(&catalog, &err) ||
        sst_catalog_add_text(catalog, "test.cat", test_catalog_text, sizeof test_catalog_text - 1, &err)) {
        fprintf(stderr, "catalogue: %s:%u: %s\n", err.path, err.line, err.message);
        init_failed = 1;
        return 1;
    }
    return 0;
}

static int suite_clean(void)
{
    sst_catalog_free(catalog);
    catalog = NULL;
    return 0;
}

/* One analysed module. */
typedef struct fx {
    const char *code;
    sst_source src;
    sst_tree tree;
    sst_arena arena;
    sst_analysis an;
    char buf[512];
} fx;

static int setup(fx *f, const char *code)
{
    sst_error err = {0};
    char what[128];
    memset(f, 0, sizeof *f);
    f->code = code;
    sst_arena_init(&f->arena);
    if (sst_source_load(&f->src, code, strlen(code), &err)) {
        CU_FAIL("source did not load");
        return -1;
    }
    TSParser *parser = ts_parser_new();
    TSTree *ts = parser ? sst_parse(parser, &f->src) : NULL;
    uint32_t line = ts ? sst_tree_build(&f->tree, ts_tree_root_node(ts), &f->src, what, sizeof what) : 1;
    if (ts) ts_tree_delete(ts);
    if (parser) ts_parser_delete(parser);
    if (line) {
        printf("\n    test module does not parse: line %u\n", line);
        CU_FAIL("test module does not parse");
        sst_tree_free(&f->tree);
        sst_source_free(&f->src);
        return -1;
    }
    if (sst_analysis_build(&f->an, &f->arena, &f->src, catalog, &f->tree, NULL, "app.views", 0)) {
        CU_FAIL("analysis failed");
        sst_analysis_free(&f->an);
        sst_arena_free(&f->arena);
        sst_tree_free(&f->tree);
        sst_source_free(&f->src);
        return -1;
    }
    return 0;
}

static void teardown(fx *f)
{
    sst_analysis_free(&f->an);
    sst_arena_free(&f->arena);
    sst_tree_free(&f->tree);
    sst_source_free(&f->src);
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The innermost node spanning exactly the NTH (0-based) whole-word
 * occurrence of TEXT in the module. */
static snode find(fx *f, const char *text, int nth)
{
    snode none = {&f->tree, 0};
    size_t tlen = strlen(text);
    const char *at = NULL;
    int seen = 0;
    for (const char *p = strstr(f->code, text); p; p = strstr(p + 1, text)) {
        if (p > f->code && ident_char(p[-1]) && ident_char(text[0])) continue;
        if (ident_char(p[tlen]) && ident_char(text[tlen - 1])) continue;
        if (seen++ == nth) {
            at = p;
            break;
        }
    }
    if (!at) {
        printf("\n    \"%s\" (occurrence %d) is not in the test module\n", text, nth);
        return none;
    }
    uint32_t start = (uint32_t)(at - f->code), end = start + (uint32_t)tlen;
    uint32_t best = 0;
    for (uint32_t i = 1; i < f->tree.n; i++)
        if (f->tree.v[i].start == start && f->tree.v[i].end == end) best = i;
    if (!best) printf("\n    no node spans \"%s\" (occurrence %d)\n", text, nth);
    return (snode){&f->tree, best};
}

/* The scope an expression is evaluated in: that of its nearest enclosing
 * scope node (the test expressions are in bodies, not in headers). */
static scope *scope_at(fx *f, snode n)
{
    for (snode p = sn_parent(n); !sn_is_null(p); p = sn_parent(p)) {
        scope *sc = sst_scope_of(&f->an, p); /* only scope nodes have one */
        if (sc) return sc;
    }
    return NULL;
}

/* The path the NTH occurrence of TEXT resolves to, "" for none. */
static const char *resolve_at(fx *f, const char *text, int nth)
{
    snode n = find(f, text, nth);
    scope *sc = sn_is_null(n) ? NULL : scope_at(f, n);
    if (!sc) return "<no node>";
    size_t len = sst_resolve(&f->an, sc, n, f->buf, sizeof f->buf);
    if (len != strlen(f->buf) && len) return "<length differs from the text>";
    return len ? f->buf : "";
}

#define EXPECT_RESOLVE(f, text, nth, expected)                                                   \
    do {                                                                                         \
        const char *got_ = resolve_at((f), (text), (nth));                                       \
        int ok_ = !strcmp(got_, (expected));                                                     \
        if (!ok_) printf("\n    line %d: %s (#%d) resolves to \"%s\", expected \"%s\"\n", __LINE__, \
                         (text), (nth), got_, (expected));                                       \
        CU_ASSERT(ok_);                                                                          \
    } while (0)

static uint32_t name_id(fx *f, const char *name)
{
    return sst_name_lookup(&f->an, name, strlen(name));
}

/* The module-level binding of NAME, or NULL. */
static const binding *module_binding(fx *f, const char *name)
{
    uint32_t id = name_id(f, name);
    return id == UINT32_MAX ? NULL : sst_scope_binding(f->an.module, id);
}

/* Checks NAME's module binding; PATH only matters for BIND_PATH. */
static void expect_binding(fx *f, int line, const char *name, bind_kind kind, const char *path, int is_import)
{
    const binding *b = module_binding(f, name);
    int ok = b && b->kind == kind && b->is_import == is_import &&
             (kind != BIND_PATH || (b->path && path && !strcmp(b->path, path)));
    if (!ok) {
        if (b)
            printf("\n    line %d: %s: kind %d path \"%s\" import %d; expected kind %d path \"%s\" import %d\n",
                   line, name, b->kind, b->kind == BIND_PATH ? b->path : "", b->is_import, kind,
                   path ? path : "", is_import);
        else
            printf("\n    line %d: %s: no module binding\n", line, name);
    }
    CU_assertImplementation(ok, (unsigned)line, "module binding as expected", __FILE__, "", CU_FALSE);
}

#define EXPECT_BINDING(f, name, kind, path, is_import) expect_binding((f), __LINE__, (name), (kind), (path), (is_import))

/* ---- scopes ---------------------------------------------------------------- */

static void test_scope_tree(void)
{
    static const char code[] =
        "import os\n"
        "class C:\n"
        "    attr = 1\n"
        "    def m(self):\n"
        "        f = lambda x: x\n"
        "        return [y for y in self.items]\n"
        "def g():\n"
        "    del os\n"
        "def h(items):\n"
        "    return [(z := v) for v in items]\n";
    fx f;
    if (setup(&f, code)) return;
    scope *module = f.an.module;
    CU_ASSERT_PTR_NOT_NULL_FATAL(module);
    EXPECT_INT(module->kind, SCOPE_MODULE);
    CU_ASSERT_PTR_NULL(module->parent);
    CU_ASSERT(sst_scope_of(&f.an, sst_tree_root(&f.tree)) == module);

    scope *c = sst_scope_of(&f.an, sn_parent(find(&f, "C", 0)));
    scope *m = scope_at(&f, find(&f, "lambda x: x", 0));
    scope *lam = scope_at(&f, find(&f, "x", 1));
    scope *comp = scope_at(&f, find(&f, "y", 0));
    scope *g = scope_at(&f, find(&f, "del os", 0));
    scope *h = scope_at(&f, find(&f, "[(z := v) for v in items]", 0));
    scope *hcomp = scope_at(&f, find(&f, "z := v", 0));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lam);
    CU_ASSERT_PTR_NOT_NULL_FATAL(comp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_PTR_NOT_NULL_FATAL(hcomp);
    EXPECT_INT(c->kind, SCOPE_CLASS);
    CU_ASSERT(c->parent == module);
    EXPECT_INT(m->kind, SCOPE_FUNCTION);
    CU_ASSERT(m->parent == c);
    EXPECT_INT(m->is_method_scope, 1);
    EXPECT_INT(lam->kind, SCOPE_LAMBDA);
    CU_ASSERT(lam->parent == m);
    EXPECT_INT(comp->kind, SCOPE_COMPREHENSION);
    CU_ASSERT(comp->parent == m);
    EXPECT_INT(g->kind, SCOPE_FUNCTION);
    EXPECT_INT(g->is_method_scope, 0);
    CU_ASSERT(g->parent == module);
    EXPECT_INT(hcomp->kind, SCOPE_COMPREHENSION);
    CU_ASSERT(hcomp->parent == h);

    uint32_t os = name_id(&f, "os"), C = name_id(&f, "C"), self = name_id(&f, "self"),
             fl = name_id(&f, "f"), x = name_id(&f, "x"), y = name_id(&f, "y"), attr = name_id(&f, "attr"),
             z = name_id(&f, "z"), v = name_id(&f, "v"), m_ = name_id(&f, "m");
    /* who binds what */
    CU_ASSERT(sst_set_has(module->locals, os) && sst_set_has(module->locals, C));
    CU_ASSERT(!sst_set_has(module->locals, attr) && !sst_set_has(module->locals, m_));
    CU_ASSERT(sst_set_has(c->locals, attr) && sst_set_has(c->locals, m_));
    CU_ASSERT(sst_set_has(m->locals, self) && sst_set_has(m->locals, fl));
    CU_ASSERT(!sst_set_has(m->locals, x) && !sst_set_has(m->locals, y));
    CU_ASSERT(sst_set_has(lam->locals, x));
    CU_ASSERT(sst_set_has(comp->locals, y));
    CU_ASSERT(sst_set_has(g->locals, os) && sst_set_has(g->deleted, os));
    CU_ASSERT(!sst_set_has(module->deleted, os));
    /* a walrus in a comprehension binds in the enclosing function */
    CU_ASSERT(sst_set_has(h->locals, z) && !sst_set_has(hcomp->locals, z));
    CU_ASSERT(sst_set_has(hcomp->locals, v) && !sst_set_has(h->locals, v));

    /* where a read of a name resolves */
    CU_ASSERT(sst_scope_owner(m, self) == m);
    CU_ASSERT(sst_scope_owner(m, os) == module);
    CU_ASSERT(sst_scope_owner(m, C) == module);
    CU_ASSERT(sst_scope_owner(m, attr) == NULL);  /* class names are not visible in methods */
    CU_ASSERT(sst_scope_owner(c, attr) == c);
    CU_ASSERT(sst_scope_owner(comp, y) == comp);
    CU_ASSERT(sst_scope_owner(lam, x) == lam);
    CU_ASSERT(sst_scope_owner(lam, fl) == m);
    CU_ASSERT(sst_scope_owner(g, os) == g);
    CU_ASSERT(sst_scope_owner(hcomp, z) == h);

    /* interned names */
    size_t len = 0;
    EXPECT_INT(name_id(&f, "nothere"), UINT32_MAX);
    const char *t = sst_name_text(&f.an, self, &len);
    CU_ASSERT(len == 4 && !memcmp(t, "self", 4));
    EXPECT_INT(sst_name_of(&f.an, find(&f, "self", 0)), self);

    /* definitions */
    EXPECT_BINDING(&f, "C", BIND_DEFINITION, NULL, 0);
    EXPECT_BINDING(&f, "g", BIND_DEFINITION, NULL, 0);
    EXPECT_BINDING(&f, "os", BIND_PATH, "os", 1);
    teardown(&f);
}

/* ---- resolution -------------------------------------------------------------- */

static void test_import_forms(void)
{
    static const char code[] =
        "import a.b.c\n"
        "import requests as r\n"
        "from requests import post as p\n"
        "from a.b import c as y\n"
        "from smtplib import SMTP\n"
        "import a.b.c as abc\n"
        "from pkg import mod\n"
        "from urllib.request import urlopen\n"
        "a.b.c.send(1)\n"
        "r.post(u)\n"
        "p(u)\n"
        "y.send(1)\n"
        "SMTP().sendmail(1)\n"
        "abc.send(1)\n"
        "mod.send(1)\n"
        "urlopen(u)\n"
        "a.x(1)\n"
        "r.nothing(u)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "a.b.c.send", 0, "a.b.c.send");
    EXPECT_RESOLVE(&f, "r.post", 0, "requests.post");
    EXPECT_RESOLVE(&f, "p", 1, "requests.post");
    EXPECT_RESOLVE(&f, "y.send", 0, "a.b.c.send");
    EXPECT_RESOLVE(&f, "SMTP().sendmail", 0, "smtplib.SMTP().sendmail");
    EXPECT_RESOLVE(&f, "SMTP()", 0, "smtplib.SMTP()");
    EXPECT_RESOLVE(&f, "abc.send", 0, "a.b.c.send");
    EXPECT_RESOLVE(&f, "mod.send", 0, "pkg.mod.send");
    EXPECT_RESOLVE(&f, "urlopen", 1, "urllib.request.urlopen");
    EXPECT_RESOLVE(&f, "a.x", 0, "");           /* no catalogue path starts so */
    EXPECT_RESOLVE(&f, "r.nothing", 0, "");
    EXPECT_RESOLVE(&f, "r", 1, "requests");     /* a prefix resolves */
    EXPECT_BINDING(&f, "a", BIND_PATH, "a", 1);
    EXPECT_BINDING(&f, "r", BIND_PATH, "requests", 1);
    EXPECT_BINDING(&f, "p", BIND_PATH, "requests.post", 1);
    EXPECT_BINDING(&f, "y", BIND_PATH, "a.b.c", 1);
    EXPECT_BINDING(&f, "abc", BIND_PATH, "a.b.c", 1);
    EXPECT_BINDING(&f, "SMTP", BIND_PATH, "smtplib.SMTP", 1);
    teardown(&f);
}

static void test_relative_import(void)
{
    static const char code[] =
        "from . import clients\n"
        "from .mod import send\n"
        "from ..pkg import mod\n"
        "clients.send(1)\n"
        "send(1)\n"
        "mod.send(1)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "clients.send", 0, "");
    EXPECT_RESOLVE(&f, "send", 2, "");
    EXPECT_RESOLVE(&f, "mod.send", 0, "");
    /* the module is app.views: "." is the package app, ".." is beyond it */
    EXPECT_BINDING(&f, "clients", BIND_PATH, "app.clients", 1);
    EXPECT_BINDING(&f, "send", BIND_PATH, "app.mod.send", 1);
    EXPECT_BINDING(&f, "mod", BIND_UNKNOWN, NULL, 1);
    teardown(&f);
}

static void test_assignment_and_with(void)
{
    static const char code[] =
        "import requests, smtplib, acme\n"
        "s = requests.Session()\n"
        "s.post(u)\n"
        "with smtplib.SMTP('h') as m, open(p) as fh:\n"
        "    m.sendmail(a, b, c)\n"
        "t = s\n"
        "t.get(u)\n"
        "x = y = requests.Session()\n"
        "x.put(u)\n"
        "y.patch(u)\n"
        "c = acme.connect()\n"
        "c.send(1)\n"
        "(s).delete(u)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "s.post", 0, "requests.Session().post");
    EXPECT_RESOLVE(&f, "m.sendmail", 0, "smtplib.SMTP().sendmail");
    EXPECT_RESOLVE(&f, "t.get", 0, "requests.Session().get");
    EXPECT_RESOLVE(&f, "x.put", 0, "requests.Session().put");
    EXPECT_RESOLVE(&f, "y.patch", 0, "requests.Session().patch");
    EXPECT_RESOLVE(&f, "c.send", 0, "acme.Client().send");     /* fluent returns rule */
    EXPECT_RESOLVE(&f, "(s).delete", 0, "requests.Session().delete");
    EXPECT_BINDING(&f, "s", BIND_PATH, "requests.Session()", 0);
    EXPECT_BINDING(&f, "m", BIND_PATH, "smtplib.SMTP()", 0);
    EXPECT_BINDING(&f, "c", BIND_PATH, "acme.Client()", 0);
    EXPECT_BINDING(&f, "fh", BIND_PATH, "open()", 0);   /* a prefix of the file-write rule */
    teardown(&f);
}

static void test_rebinding(void)
{
    static const char code[] =
        "import requests, smtplib\n"
        "c = requests.Session()\n"
        "c = smtplib.SMTP()\n"
        "c.sendmail(1)\n"
        "c.post(1)\n"
        "d = requests.Session()\n"
        "d = requests.Session()\n"
        "d.post(1)\n"
        "e = requests.Session()\n"
        "e = make()\n"
        "e.post(1)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "c.sendmail", 0, "");   /* two different paths: unknown */
    EXPECT_RESOLVE(&f, "c.post", 0, "");
    EXPECT_RESOLVE(&f, "d.post", 0, "requests.Session().post"); /* the same path twice */
    EXPECT_RESOLVE(&f, "e.post", 0, "");
    EXPECT_BINDING(&f, "c", BIND_UNKNOWN, NULL, 0);
    EXPECT_BINDING(&f, "d", BIND_PATH, "requests.Session()", 0);
    EXPECT_BINDING(&f, "e", BIND_UNKNOWN, NULL, 0);
    teardown(&f);
}

static void test_none_then_client(void)
{
    static const char code[] =
        "import requests\n"
        "x = None\n"
        "x = requests.Session()\n"
        "x.post(u)\n"
        "w = requests.Session()\n"
        "w = None\n"
        "w.get(u)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "x.post", 0, "requests.Session().post");
    EXPECT_RESOLVE(&f, "w.get", 0, "requests.Session().get");
    EXPECT_BINDING(&f, "x", BIND_PATH, "requests.Session()", 0);
    teardown(&f);
}

static void test_shadowing(void)
{
    static const char code[] =
        "import requests\n"
        "def f(requests):\n"
        "    requests.post(u)\n"
        "def g():\n"
        "    requests = object()\n"
        "    requests.post(u)\n"
        "def h():\n"
        "    requests.post(u)\n"
        "def k():\n"
        "    for requests in items:\n"
        "        requests.post(u)\n"
        "def j():\n"
        "    try:\n"
        "        pass\n"
        "    except Exception as requests:\n"
        "        requests.post(u)\n"
        "requests.post(u)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "requests.post", 0, "");  /* a parameter */
    EXPECT_RESOLVE(&f, "requests.post", 1, "");  /* a local assignment */
    EXPECT_RESOLVE(&f, "requests.post", 2, "requests.post");
    EXPECT_RESOLVE(&f, "requests.post", 3, "");  /* a for target */
    EXPECT_RESOLVE(&f, "requests.post", 4, "");  /* an except alias */
    EXPECT_RESOLVE(&f, "requests.post", 5, "requests.post");
    teardown(&f);
}

static void test_global_nonlocal(void)
{
    static const char code[] =
        "import requests\n"
        "def f():\n"
        "    global requests\n"
        "    requests.post(u)\n"
        "def outer():\n"
        "    s = requests.Session()\n"
        "    def inner():\n"
        "        nonlocal s\n"
        "        s.post(u)\n"
        "    def other():\n"
        "        s = 1\n"
        "        s.put(u)\n"
        "    s.get(u)\n"
        "def nested():\n"
        "    def deeper():\n"
        "        global requests\n"
        "        requests = 2\n"
        "    requests.get(u)\n";
    fx f;
    if (setup(&f, code)) return;
    /* "requests = 2" under "global requests" in deeper rebinds the module's
     * name: bound to an import and to a value, it resolves to nothing */
    EXPECT_RESOLVE(&f, "requests.post", 0, "");
    EXPECT_RESOLVE(&f, "s.post", 0, "requests.Session().post");
    EXPECT_RESOLVE(&f, "s.put", 0, "");
    EXPECT_RESOLVE(&f, "s.get", 0, "requests.Session().get");
    /* "global requests" in deeper does not make it local to nested */
    EXPECT_RESOLVE(&f, "requests.get", 0, "");
    scope *nested = scope_at(&f, find(&f, "requests.get", 0));
    CU_ASSERT_PTR_NOT_NULL(nested);
    if (nested) CU_ASSERT(!sst_set_has(nested->locals, name_id(&f, "requests")));
    teardown(&f);
}

/* A module-level name set up through "global" in a function: Python binds
 * the module's name, so a later read anywhere sees the client. */
static void test_global_assignment(void)
{
    static const char code[] =
        "import requests\n"
        "client = None\n"
        "def init():\n"
        "    global client\n"
        "    client = requests.Session()\n"
        "    client.get(u)\n"
        "def use():\n"
        "    client.post(u)\n"
        "client.put(u)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "client.get", 0, "requests.Session().get");
    EXPECT_RESOLVE(&f, "client.post", 0, "requests.Session().post");
    EXPECT_RESOLVE(&f, "client.put", 0, "requests.Session().put");
    EXPECT_BINDING(&f, "client", BIND_PATH, "requests.Session()", 0);
    teardown(&f);
}

static void test_class_scope(void)
{
    static const char code[] =
        "import requests, smtplib\n"
        "s = requests.Session()\n"
        "class C:\n"
        "    s = smtplib.SMTP()\n"
        "    s.sendmail(a)\n"
        "    def m(self):\n"
        "        s.post(u)\n"
        "        s.sendmail(a)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "s.sendmail", 0, "smtplib.SMTP().sendmail"); /* in the class body */
    EXPECT_RESOLVE(&f, "s.post", 0, "requests.Session().post");     /* the module's s */
    EXPECT_RESOLVE(&f, "s.sendmail", 1, "");
    teardown(&f);
}

static void test_comprehensions(void)
{
    static const char code[] =
        "import requests\n"
        "s = requests.Session()\n"
        "r1 = [s.post(u) for s in items]\n"
        "r2 = {s.get(u) for s in items}\n"
        "r3 = list(s.put(u) for s in items)\n"
        "r4 = {k: s.delete(u) for k, s in items}\n"
        "r5 = lambda s: s.request(u)\n"
        "r6 = [s.send(x) for x in items]\n"
        "s.patch(u)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "s.post", 0, "");
    EXPECT_RESOLVE(&f, "s.get", 0, "");
    EXPECT_RESOLVE(&f, "s.put", 0, "");
    EXPECT_RESOLVE(&f, "s.delete", 0, "");
    EXPECT_RESOLVE(&f, "s.request", 0, "");
    EXPECT_RESOLVE(&f, "s.send", 0, "requests.Session().send");
    EXPECT_RESOLVE(&f, "s.patch", 0, "requests.Session().patch"); /* comprehension targets did not leak */
    EXPECT_BINDING(&f, "s", BIND_PATH, "requests.Session()", 0);
    teardown(&f);
}

static void test_builtins(void)
{
    static const char code[] =
        "print(x)\n"
        "len(x)\n"
        "def f(print):\n"
        "    print(x)\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "print", 0, "print");
    EXPECT_RESOLVE(&f, "len", 0, "");          /* no catalogue path starts with len */
    EXPECT_RESOLVE(&f, "print", 2, "");        /* a parameter named print */
    CU_ASSERT_PTR_NULL(module_binding(&f, "print"));
    teardown(&f);

    if (setup(&f, "print = log.info\nprint(x)\n")) return;
    EXPECT_RESOLVE(&f, "print", 1, "");        /* rebound at module level */
    EXPECT_BINDING(&f, "print", BIND_UNKNOWN, NULL, 0);
    teardown(&f);
}

/* A function that copies a module-level client into a local: the client is
 * assigned below the function, but the function runs after the module body,
 * as the direct use of "client" in the same function already resolves. */
static void test_alias_of_later_module_binding(void)
{
    static const char code[] =
        "import requests\n"
        "def send():\n"
        "    client.get(u)\n"
        "    c = client\n"
        "    c.post(u)\n"
        "client = requests.Session()\n";
    fx f;
    if (setup(&f, code)) return;
    EXPECT_RESOLVE(&f, "client.get", 0, "requests.Session().get");
    EXPECT_RESOLVE(&f, "c.post", 0, "requests.Session().post");
    teardown(&f);
}

int main(void)
{
    static const sst_test tests[] = {
        {"scope_tree", test_scope_tree},
        {"import_forms", test_import_forms},
        {"relative_import", test_relative_import},
        {"assignment_and_with", test_assignment_and_with},
        {"rebinding", test_rebinding},
        {"none_then_client", test_none_then_client},
        {"shadowing", test_shadowing},
        {"global_nonlocal", test_global_nonlocal},
        {"global_assignment", test_global_assignment},
        {"class_scope", test_class_scope},
        {"comprehensions", test_comprehensions},
        {"builtins", test_builtins},
        {"alias_of_later_module_binding", test_alias_of_later_module_binding},
    };
    return run_suite("scope", suite_init, suite_clean, tests, sizeof tests / sizeof *tests, &init_failed);
}
