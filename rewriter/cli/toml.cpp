/* The TOML reader behind config.c: cpptoml (Debian's libcpptoml-dev) parses
 * the text; a small scanner of the same text finds the line of every key and
 * array element, which cpptoml does not keep; the result goes to C as an
 * sst_toml tree. No C++ exception leaves this file. */
#include "config.h"

#include <cpptoml.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

/* A key path is the concatenation of SEP + name for each component, and
 * SEP + INDEX + decimal for an array element: tool.sst.include[2] is
 * "\x1ftool\x1fsst\x1finclude\x1f\x1e2". The document itself is "". */
const char SEP = '\x1f';
const char INDEX = '\x1e';
const int MAX_DEPTH = 256;

std::string member(const std::string &path, const std::string &key)
{
    std::string s = path;
    s += SEP;
    s += key;
    return s;
}

std::string element(const std::string &path, size_t index)
{
    std::string s = path;
    s += SEP;
    s += INDEX;
    s += std::to_string(index);
    return s;
}

bool is_bare(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void put_utf8(std::string &out, unsigned long cp)
{
    if (cp < 0x80) {
        out += (char)cp;
    } else if (cp < 0x800) {
        out += (char)(0xC0 | (cp >> 6));
        out += (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += (char)(0xE0 | (cp >> 12));
        out += (char)(0x80 | ((cp >> 6) & 0x3F));
        out += (char)(0x80 | (cp & 0x3F));
    } else {
        out += (char)(0xF0 | (cp >> 18));
        out += (char)(0x80 | ((cp >> 12) & 0x3F));
        out += (char)(0x80 | ((cp >> 6) & 0x3F));
        out += (char)(0x80 | (cp & 0x3F));
    }
}

/* Reads the text once and records, for every key path, the first line that
 * names it: the line of a key = value (each prefix of a dotted key too), of
 * a [header] (and its prefixes), of an array element's first character, of
 * a [[header]] for its element. It follows TOML's lexical rules (strings of
 * the four kinds, comments, arrays and inline tables over several lines,
 * tables of [[arrays]]) but checks nothing: on text it does not understand
 * it skips to the next line, so it may run on invalid TOML. */
class Scanner {
  public:
    Scanner(const char *text, size_t len) : p_(text), end_(text + len) {}

    void run()
    {
        if (starts("\xEF\xBB\xBF")) p_ += 3;
        for (;;) {
            gaps();
            if (p_ >= end_) return;
            const char *before = p_;
            if (at('[')) {
                header();
            } else if (keyval(table_, 0)) {
                blanks();
                if (!at('#') && !at('\n') && !at('\r')) rest_of_line();
            } else {
                rest_of_line();
            }
            if (p_ == before) p_++;
        }
    }

    unsigned line_of(const std::string &path) const
    {
        auto it = lines_.find(path);
        return it == lines_.end() ? 0 : it->second;
    }

    bool mentions(const std::string &path) const { return lines_.count(path) != 0; }

  private:
    const char *p_;
    const char *end_;
    unsigned line_ = 1;
    std::string table_;                                   // path of the current [table]
    std::unordered_map<std::string, unsigned> lines_;     // path -> first line
    std::unordered_map<std::string, size_t> arrays_;      // [[path]] -> elements so far

    bool at(char c) const { return p_ < end_ && *p_ == c; }

    bool starts(const char *s) const
    {
        size_t n = std::strlen(s);
        return (size_t)(end_ - p_) >= n && std::memcmp(p_, s, n) == 0;
    }

    void mention(const std::string &path) { lines_.emplace(path, line_); }

    void blanks()
    {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t')) p_++;
    }

    /* Blanks, comments and line breaks. */
    void gaps()
    {
        for (;;) {
            blanks();
            if (at('#')) {
                while (p_ < end_ && *p_ != '\n') p_++;
            } else if (at('\n')) {
                line_++;
                p_++;
            } else if (at('\r')) {
                p_++;
            } else {
                return;
            }
        }
    }

    void rest_of_line()
    {
        while (p_ < end_ && *p_ != '\n') p_++;
    }

    /* A one-line basic string, its escapes decoded into OUT. */
    bool basic(std::string &out)
    {
        p_++;
        while (p_ < end_ && *p_ != '"' && *p_ != '\n') {
            if (*p_ != '\\') {
                out += *p_++;
                continue;
            }
            if (++p_ >= end_) break;
            char c = *p_++;
            switch (c) {
            case 'b': out += '\b'; break;
            case 't': out += '\t'; break;
            case 'n': out += '\n'; break;
            case 'f': out += '\f'; break;
            case 'r': out += '\r'; break;
            case 'e': out += '\x1b'; break;
            case 'u':
            case 'U': {
                int digits = c == 'u' ? 4 : 8;
                unsigned long cp = 0;
                int i = 0;
                for (; i < digits && p_ < end_ && hex_value(*p_) >= 0; i++, p_++)
                    cp = cp * 16 + (unsigned long)hex_value(*p_);
                if (i == digits && cp <= 0x10FFFF) put_utf8(out, cp);
                break;
            }
            default: out += c; break;   // \" \\ and anything else
            }
        }
        if (!at('"')) return false;
        p_++;
        return true;
    }

    /* A one-line literal string into OUT. */
    bool literal(std::string &out)
    {
        const char *s = ++p_;
        while (p_ < end_ && *p_ != '\'' && *p_ != '\n') p_++;
        out.assign(s, p_);
        if (!at('\'')) return false;
        p_++;
        return true;
    }

    /* A multi-line string opened by DELIM (""" or '''); up to two quotes of
     * the same kind may precede the closing delimiter. */
    void multiline(const char *delim, bool escapes)
    {
        p_ += 3;
        while (p_ < end_) {
            if (escapes && *p_ == '\\') {
                if (++p_ < end_) {
                    if (*p_ == '\n') line_++;
                    p_++;
                }
                continue;
            }
            if (starts(delim)) {
                p_ += 3;
                for (int i = 0; i < 2 && at(delim[0]); i++) p_++;
                return;
            }
            if (*p_ == '\n') line_++;
            p_++;
        }
    }

    /* A number, boolean or date: up to a delimiter. A date and a time may be
     * separated by a space (1979-05-27 07:32:00). */
    void scalar()
    {
        const char *s = p_;
        for (;;) {
            while (p_ < end_ && !std::strchr(" \t\r\n,]}#", *p_)) p_++;
            if (p_ - s == 10 && s[4] == '-' && s[7] == '-' && at(' ') && p_ + 1 < end_ &&
                p_[1] >= '0' && p_[1] <= '9') {
                p_++;
                continue;
            }
            return;
        }
    }

    /* A dotted key: bare and quoted parts, blanks around the dots. */
    bool key(std::vector<std::string> &parts)
    {
        for (;;) {
            blanks();
            std::string part;
            if (at('"')) {
                if (!basic(part)) return false;
            } else if (at('\'')) {
                if (!literal(part)) return false;
            } else {
                const char *s = p_;
                while (p_ < end_ && is_bare(*p_)) p_++;
                if (p_ == s) return false;
                part.assign(s, p_);
            }
            parts.push_back(std::move(part));
            blanks();
            if (!at('.')) return true;
            p_++;
        }
    }

    /* The path of PARTS below BASE, each prefix recorded; a prefix that is
     * an array of tables stands for its last element. */
    std::string resolve(const std::string &base, const std::vector<std::string> &parts,
                        bool array_header)
    {
        std::string path = base;
        for (size_t i = 0; i < parts.size(); i++) {
            path = member(path, parts[i]);
            mention(path);
            if (array_header && i + 1 == parts.size()) {
                size_t n = ++arrays_[path];
                path = element(path, n - 1);
                mention(path);
            } else {
                auto it = arrays_.find(path);
                if (it != arrays_.end()) path = element(path, it->second - 1);
            }
        }
        return path;
    }

    void header()
    {
        bool array = starts("[[");
        p_ += array ? 2 : 1;
        std::vector<std::string> parts;
        if (key(parts)) table_ = resolve(std::string(), parts, array);
        rest_of_line();
    }

    bool keyval(const std::string &base, int depth)
    {
        std::vector<std::string> parts;
        if (!key(parts)) return false;
        blanks();
        if (!at('=')) return false;
        p_++;
        blanks();
        value(resolve(base, parts, false), depth);
        return true;
    }

    void value(const std::string &path, int depth)
    {
        if (depth > MAX_DEPTH) {
            rest_of_line();
            return;
        }
        std::string ignored;
        if (starts("\"\"\"")) {
            multiline("\"\"\"", true);
        } else if (at('"')) {
            basic(ignored);
        } else if (starts("'''")) {
            multiline("'''", false);
        } else if (at('\'')) {
            literal(ignored);
        } else if (at('[')) {
            p_++;
            for (size_t i = 0;; i++) {
                gaps();
                if (p_ >= end_) return;
                if (at(']')) break;
                std::string item = element(path, i);
                mention(item);
                const char *before = p_;
                value(item, depth + 1);
                if (p_ == before) return;
                gaps();
                if (!at(',')) break;
                p_++;
            }
            if (at(']')) p_++;
        } else if (at('{')) {
            p_++;
            for (;;) {
                gaps();
                if (p_ >= end_) return;
                if (at('}')) break;
                if (!keyval(path, depth + 1)) return;
                gaps();
                if (!at(',')) break;
                p_++;
            }
            if (at('}')) p_++;
        } else {
            scalar();
        }
    }
};

/* Throws std::bad_alloc when calloc fails, so the caller's catch frees. */
template <class T> T *alloc_array(size_t n)
{
    T *p = (T *)std::calloc(n ? n : 1, sizeof(T));
    if (!p) throw std::bad_alloc();
    return p;
}

char *copy_string(const std::string &s)
{
    char *p = alloc_array<char>(s.size() + 1);
    std::memcpy(p, s.data(), s.size());
    return p;
}

/* Fills NODE from B. NODE stays freeable by sst_toml_free at every step:
 * counts are set together with the zeroed arrays they count. */
void fill(sst_toml *node, const std::shared_ptr<cpptoml::base> &b, const std::string &path,
          unsigned line, const Scanner &scan)
{
    node->line = line;
    if (b->is_table()) {
        std::shared_ptr<cpptoml::table> table = b->as_table();
        std::vector<std::pair<unsigned, std::string>> order;
        for (const auto &kv : *table) order.emplace_back(scan.line_of(member(path, kv.first)), kv.first);
        std::sort(order.begin(), order.end());
        node->type = SST_TOML_TABLE;
        node->items = alloc_array<sst_toml>(order.size());
        node->keys = alloc_array<char *>(order.size());
        node->nitems = order.size();
        for (size_t i = 0; i < order.size(); i++) {
            node->keys[i] = copy_string(order[i].second);
            fill(&node->items[i], table->get(order[i].second), member(path, order[i].second),
                 order[i].first, scan);
        }
    } else if (b->is_table_array()) {
        const auto &tables = b->as_table_array()->get();
        node->type = SST_TOML_ARRAY;
        node->items = alloc_array<sst_toml>(tables.size());
        node->nitems = tables.size();
        for (size_t i = 0; i < tables.size(); i++) {
            std::string item = element(path, i);
            fill(&node->items[i], tables[i], item, scan.line_of(item), scan);
        }
    } else if (b->is_array()) {
        const auto &values = b->as_array()->get();
        node->type = SST_TOML_ARRAY;
        node->items = alloc_array<sst_toml>(values.size());
        node->nitems = values.size();
        for (size_t i = 0; i < values.size(); i++) {
            std::string item = element(path, i);
            fill(&node->items[i], values[i], item, scan.line_of(item), scan);
        }
    } else if (auto s = b->as<std::string>()) {
        node->type = SST_TOML_STRING;
        node->string = copy_string(s->get());
        node->len = s->get().size();
    } else if (auto i = b->as<int64_t>()) {
        node->type = SST_TOML_INTEGER;
        node->integer = i->get();
    } else if (auto d = b->as<double>()) {
        node->type = SST_TOML_FLOAT;
        node->number = d->get();
    } else if (auto t = b->as<bool>()) {
        node->type = SST_TOML_BOOLEAN;
        node->boolean = t->get();
    } else {
        node->type = SST_TOML_DATETIME;
    }
}

void clear(sst_toml *node)
{
    for (size_t i = 0; i < node->nitems; i++) {
        clear(&node->items[i]);
        if (node->keys) std::free(node->keys[i]);
    }
    std::free(node->items);
    std::free(node->keys);
    std::free(node->string);
}

/* Lines in TEXT: a reported line past the end (an unclosed array at end of
 * file) is clamped to the last line. */
unsigned count_lines(const char *text, size_t len)
{
    unsigned n = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n') n++;
    if (len && text[len - 1] != '\n') n++;
    return n;
}

} // namespace

extern "C" int sst_toml_parse(sst_toml **out, const char *text, size_t len, const char *name,
                              sst_error *err)
{
    *out = NULL;
    sst_toml *root = NULL;
    if (len >= 3 && std::memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    try {
        std::istringstream in(std::string(text, len));
        cpptoml::parser parser(in);
        std::shared_ptr<cpptoml::table> doc = parser.parse();
        Scanner scan(text, len);
        scan.run();
        root = alloc_array<sst_toml>(1);
        fill(root, doc, std::string(), 0, scan);
        *out = root;
        return 0;
    } catch (const cpptoml::parse_exception &e) {
        sst_toml_free(root);
        std::string message = e.what();
        unsigned line = 0;
        size_t at = message.rfind(" at line ");
        if (at != std::string::npos) {
            line = (unsigned)std::strtoul(message.c_str() + at + 9, NULL, 10);
            message.erase(at);
        }
        unsigned last = count_lines(text, len);
        if (line > last && last > 0) line = last;
        sst_error_set(err, SST_EINVAL, name, line, "TOML syntax error: %s", message.c_str());
        return SST_EINVAL;
    } catch (const std::bad_alloc &) {
        sst_toml_free(root);
        sst_error_set(err, SST_ENOMEM, name, 0, "out of memory");
        return SST_ENOMEM;
    } catch (const std::exception &e) {
        /* cpptoml lets a few library errors through (std::stoll on an
         * integer out of range): still bad input, but without a line. */
        sst_toml_free(root);
        sst_error_set(err, SST_EINVAL, name, 0, "TOML syntax error: %s", e.what());
        return SST_EINVAL;
    } catch (...) {
        sst_toml_free(root);
        sst_error_set(err, SST_EBUG, name, 0, "unexpected error while reading TOML");
        return SST_EBUG;
    }
}

extern "C" int sst_toml_mentions(const char *text, size_t len, const char *dotted)
{
    try {
        Scanner scan(text, len);
        scan.run();
        std::string path;
        const char *s = dotted;
        for (;;) {
            const char *dot = std::strchr(s, '.');
            path = member(path, dot ? std::string(s, dot) : std::string(s));
            if (!dot) break;
            s = dot + 1;
        }
        return scan.mentions(path) ? 1 : 0;
    } catch (const std::bad_alloc &) {
        return SST_ENOMEM;
    } catch (...) {
        return SST_EBUG;
    }
}

extern "C" const sst_toml *sst_toml_get(const sst_toml *table, const char *key)
{
    if (!table || table->type != SST_TOML_TABLE) return NULL;
    for (size_t i = 0; i < table->nitems; i++)
        if (std::strcmp(table->keys[i], key) == 0) return &table->items[i];
    return NULL;
}

extern "C" const char *sst_toml_type_phrase(sst_toml_type type)
{
    static const char *const phrases[] = {"a string", "an integer", "a float", "a boolean",
                                          "a date-time", "an array", "a table"};
    return (unsigned)type < sizeof phrases / sizeof *phrases ? phrases[type] : "a value";
}

extern "C" void sst_toml_free(sst_toml *toml)
{
    if (!toml) return;
    clear(toml);
    std::free(toml);
}
