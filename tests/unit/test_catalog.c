/* CUnit suite for catalog.c: the built-in catalogue (its services, hosts,
 * args and conditions), lookups, chains of conditional entries, overrides,
 * load order, disabling, dotted prefixes, every error message with its file
 * and line, and the classification of identifier names into data categories. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "expect.h"

#include "catalog.h"

/* Loaded once before the tests: the built-in catalogue, read-only after. */
static sst_catalog *builtin;
static int init_failed;

static int suite_init(void)
{
    sst_error err = {0};
    if (sst_catalog_load_builtin(&builtin, &err)) {
        fprintf(stderr, "built-in catalogue: %s:%u: %s\n", err.path, err.line, err.message);
        init_failed = 1;
        return 1;
    }
    return 0;
}

static int suite_clean(void)
{
    sst_catalog_free(builtin);
    builtin = NULL;
    return 0;
}

/* A fresh catalogue for tests that add to it. */
static sst_catalog *fresh(void)
{
    sst_catalog *cat = NULL;
    sst_error err = {0};
    if (sst_catalog_load_builtin(&cat, &err)) return NULL;
    return cat;
}

static int add(sst_catalog *cat, const char *name, const char *text, sst_error *err)
{
    return sst_catalog_add_text(cat, name, text, strlen(text), err);
}

/* ---- the built-in catalogue ----------------------------------------------- */

typedef struct lookup_case {
    const char *path;
    sst_kind kind;
    const char *service;
    const char *host;        /* NULL: none */
    const char *args;        /* NULL: every argument */
    uint32_t categories;
} lookup_case;

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static const char *or_null(const char *s)
{
    return s ? s : "(null)";
}

static void check_lookups(const sst_catalog *cat, const lookup_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const sst_entry *e = sst_catalog_lookup(cat, cases[i].path);
        int ok = e && !strcmp(e->path, cases[i].path) && e->kind == cases[i].kind &&
                 same_str(e->service, cases[i].service) && same_str(e->host, cases[i].host) &&
                 same_str(e->args, cases[i].args) && !e->target && !e->when_glob && !e->next &&
                 e->categories == cases[i].categories;
        if (!ok) {
            if (!e) printf("\n    %s: not found\n", cases[i].path);
            else
                printf("\n    %s: %s service %s host %s args %s categories %#x when %s next %p;"
                       " expected %s %s %s %s %#x\n",
                       cases[i].path, sst_kind_name(e->kind), or_null(e->service), or_null(e->host),
                       or_null(e->args), e->categories, or_null(e->when_glob), (const void *)e->next,
                       sst_kind_name(cases[i].kind), cases[i].service, or_null(cases[i].host),
                       or_null(cases[i].args), cases[i].categories);
        }
        CU_ASSERT(ok);
    }
}

static void test_builtin_lookups(void)
{
    static const lookup_case cases[] = {
        {"requests.post", SST_KIND_EXTERNAL, "requests", NULL, "1,2,3,url,data,json,params,headers,cookies,files", 0},
        {"requests.Session().post", SST_KIND_EXTERNAL, "requests", NULL,
         "1,2,3,url,data,json,params,headers,cookies,files", 0},
        {"urllib.request.urlopen", SST_KIND_EXTERNAL, "urllib", NULL, "1,2,url,data", 0},
        {"http.client.HTTPSConnection().request", SST_KIND_EXTERNAL, "http.client", NULL, "2,3,4,url,body,headers", 0},
        {"httpx.AsyncClient().post", SST_KIND_EXTERNAL, "httpx", NULL,
         "1,url,content,data,files,json,params,headers,cookies", 0},
        {"aiohttp.ClientSession().post", SST_KIND_EXTERNAL, "aiohttp", NULL, "1,url,data,json,params,headers,cookies", 0},
        {"urllib3.PoolManager().request", SST_KIND_EXTERNAL, "urllib3", NULL, "2,3,4,5,url,body,fields,headers,json", 0},
        {"httplib2.Http().request", SST_KIND_EXTERNAL, "httplib2", NULL, "1,3,4,uri,body,headers", 0},
        {"smtplib.SMTP().sendmail", SST_KIND_EXTERNAL, "smtp", NULL, NULL, 0},
        {"smtplib.SMTP_SSL().send_message", SST_KIND_EXTERNAL, "smtp", NULL, NULL, 0},
        {"openai.OpenAI().responses.create", SST_KIND_EXTERNAL, "openai", "api.openai.com", NULL, 0},
        {"openai.OpenAI().chat.completions.create", SST_KIND_EXTERNAL, "openai", "api.openai.com", NULL, 0},
        {"openai.AsyncOpenAI().chat.completions.create", SST_KIND_EXTERNAL, "openai", "api.openai.com", NULL, 0},
        {"openai.AzureOpenAI().chat.completions.create", SST_KIND_EXTERNAL, "azure-openai", NULL, NULL, 0},
        {"anthropic.Anthropic().messages.create", SST_KIND_EXTERNAL, "anthropic", "api.anthropic.com", NULL, 0},
        {"langchain_openai.ChatOpenAI().invoke", SST_KIND_EXTERNAL, "openai", "api.openai.com", NULL, 0},
        {"langchain.chains.LLMChain().invoke", SST_KIND_EXTERNAL, "langchain", NULL, NULL, 0},
        {"google.genai.Client().models.generate_content", SST_KIND_EXTERNAL, "google-genai",
         "generativelanguage.googleapis.com", NULL, 0},
        {"cohere.ClientV2().chat", SST_KIND_EXTERNAL, "cohere", "api.cohere.com", NULL, 0},
        {"mistralai.Mistral().chat.complete", SST_KIND_EXTERNAL, "mistral", "api.mistral.ai", NULL, 0},
        {"posthog.capture", SST_KIND_EXTERNAL, "posthog", "app.posthog.com", NULL, 0},
        {"analytics.track", SST_KIND_EXTERNAL, "segment", "api.segment.io", NULL, 0},
        {"mixpanel.Mixpanel().track", SST_KIND_EXTERNAL, "mixpanel", "api.mixpanel.com", NULL, 0},
        {"amplitude.Amplitude().track", SST_KIND_EXTERNAL, "amplitude", "api2.amplitude.com", NULL, 0},
        {"heapapi.HeapAPIClient().track", SST_KIND_EXTERNAL, "heap", "heapanalytics.com", NULL, 0},
        {"sentry_sdk.set_user", SST_KIND_EXTERNAL, "sentry", NULL, NULL, 0},
        {"sentry_sdk.Scope().set_user", SST_KIND_EXTERNAL, "sentry", NULL, NULL, 0},
        {"rollbar.report_message", SST_KIND_EXTERNAL, "rollbar", "api.rollbar.com", NULL, 0},
        {"bugsnag.notify", SST_KIND_EXTERNAL, "bugsnag", "notify.bugsnag.com", NULL, 0},
        {"newrelic.agent.add_custom_attribute", SST_KIND_EXTERNAL, "newrelic", "collector.newrelic.com", NULL, 0},
        {"ddtrace.trace.Span().set_tag", SST_KIND_EXTERNAL, "datadog", NULL, NULL, 0},
        {"opentelemetry.trace.Span().set_attribute", SST_KIND_EXTERNAL, "opentelemetry", NULL, NULL, 0},
        {"stripe.Customer.create", SST_KIND_EXTERNAL, "stripe", "api.stripe.com", NULL, 0},
        {"stripe.checkout.Session.create", SST_KIND_EXTERNAL, "stripe", "api.stripe.com", NULL, 0},
        {"braintree.BraintreeGateway().transaction.sale", SST_KIND_EXTERNAL, "braintree", "api.braintreegateway.com",
         NULL, 0},
        {"paypalcheckoutsdk.core.PayPalHttpClient().execute", SST_KIND_EXTERNAL, "paypal", "api-m.paypal.com", NULL, 0},
        {"django.core.mail.send_mail", SST_KIND_EXTERNAL, "django-mail", NULL,
         "1,2,3,4,subject,message,from_email,recipient_list,html_message", 0},
        {"django.core.mail.EmailMessage().send", SST_KIND_EXTERNAL, "django-mail", NULL, NULL, 0},
        {"flask_mail.Mail().send", SST_KIND_EXTERNAL, "flask-mail", NULL, NULL, 0},
        {"sendgrid.SendGridAPIClient().send", SST_KIND_EXTERNAL, "sendgrid", "api.sendgrid.com", NULL, 0},
        {"mailgun.client.Client().messages.create", SST_KIND_EXTERNAL, "mailgun", "api.mailgun.net", NULL, 0},
        {"mailchimp_marketing.Client().lists.add_list_member", SST_KIND_EXTERNAL, "mailchimp", NULL, NULL, 0},
        {"postmarker.core.PostmarkClient().emails.send", SST_KIND_EXTERNAL, "postmark", "api.postmarkapp.com", NULL, 0},
        {"twilio.rest.Client().messages.create", SST_KIND_EXTERNAL, "twilio", "api.twilio.com", NULL, 0},
        /* a host on the line wins over the service's */
        {"twilio.rest.Client().verify.v2.services().verifications.create", SST_KIND_EXTERNAL, "twilio",
         "verify.twilio.com", NULL, 0},
        {"vonage.Client().sms.send_message", SST_KIND_EXTERNAL, "vonage", "rest.nexmo.com", NULL, 0},
        {"vonage.Client().voice.create_call", SST_KIND_EXTERNAL, "vonage", "api.nexmo.com", NULL, 0},
        {"botocore.client.S3().put_object", SST_KIND_EXTERNAL, "aws-s3", NULL, NULL, 0},
        {"botocore.client.SNS().publish", SST_KIND_EXTERNAL, "aws-sns", NULL, NULL, 0},
        {"botocore.client.SQS().send_message", SST_KIND_EXTERNAL, "aws-sqs", NULL, NULL, 0},
        {"botocore.client.SES().send_email", SST_KIND_EXTERNAL, "aws-ses", NULL, NULL, 0},
        {"google.cloud.storage.Blob().upload_from_string", SST_KIND_EXTERNAL, "google-cloud-storage",
         "storage.googleapis.com", NULL, 0},
        {"google.cloud.bigquery.Client().insert_rows_json", SST_KIND_EXTERNAL, "google-cloud-bigquery",
         "bigquery.googleapis.com", NULL, 0},
        {"firebase_admin.messaging.send", SST_KIND_EXTERNAL, "firebase", "fcm.googleapis.com", NULL, 0},
        {"hubspot.HubSpot().crm.contacts.basic_api.create", SST_KIND_EXTERNAL, "hubspot", "api.hubapi.com", NULL, 0},
        {"simple_salesforce.Salesforce().Contact.create", SST_KIND_EXTERNAL, "salesforce", NULL, NULL, 0},
        {"intercom.Intercom().contacts.create", SST_KIND_EXTERNAL, "intercom", "api.intercom.io", NULL, 0},
        {"zenpy.Zenpy().tickets.create", SST_KIND_EXTERNAL, "zendesk", NULL, NULL, 0},
        {"slack_sdk.WebClient().chat_postMessage", SST_KIND_EXTERNAL, "slack", "slack.com", NULL, 0},
        {"slack_sdk.WebhookClient().send", SST_KIND_EXTERNAL, "slack", "hooks.slack.com", NULL, 0},
        {"shopify.Customer.create", SST_KIND_EXTERNAL, "shopify", NULL, NULL, 0},
        {"algoliasearch.search_index.SearchIndex().save_objects", SST_KIND_EXTERNAL, "algolia", NULL, NULL, 0},
        /* stores never carry a host, even in a group that has one */
        {"elasticsearch.Elasticsearch().index", SST_KIND_STORE, "elasticsearch", NULL, NULL, 0},
        {"sqlalchemy.orm.Session().add", SST_KIND_STORE, "sqlalchemy", NULL, NULL, 0},
        {"flask_sqlalchemy.SQLAlchemy().session.add", SST_KIND_STORE, "sqlalchemy", NULL, NULL, 0},
        {"django.db.models.Model().save", SST_KIND_STORE, "django-orm", NULL, NULL, 0},
        {"django.db.models.Model.objects.create", SST_KIND_STORE, "django-orm", NULL, NULL, 0},
        {"sqlite3.connect().execute", SST_KIND_STORE, "sqlite3", NULL, NULL, 0},
        {"psycopg2.connect().cursor().execute", SST_KIND_STORE, "psycopg2", NULL, NULL, 0},
        {"builtins.open().writer().write", SST_KIND_STORE, "file", NULL, NULL, 0},
        {"json.dump", SST_KIND_STORE, "serialization", NULL, "1,obj", 0},
        {"pickle.dump", SST_KIND_STORE, "serialization", NULL, "1,obj", 0},
        {"logging.info", SST_KIND_LOG, "logging", NULL, NULL, 0},
        {"logging.getLogger().info", SST_KIND_LOG, "logging", NULL, NULL, 0},
        {"print", SST_KIND_LOG, "stdout", NULL, NULL, 0},
        {"flask.request.form", SST_KIND_SOURCE, "flask", NULL, NULL, SST_CAT_USER_TEXT},
        {"flask.request.get_json()", SST_KIND_SOURCE, "flask", NULL, NULL, SST_CAT_USER_TEXT},
        {"flask.request.cookies", SST_KIND_SOURCE, "flask", NULL, NULL, SST_CAT_CREDENTIALS},
        {"flask.request.remote_addr", SST_KIND_SOURCE, "flask", NULL, NULL, SST_CAT_NETWORK_ID},
        {"flask_login.current_user.email", SST_KIND_SOURCE, "flask-login", NULL, NULL, SST_CAT_EMAIL},
        {"django.http.HttpRequest().POST", SST_KIND_SOURCE, "django", NULL, NULL, SST_CAT_USER_TEXT},
        {"django.http.HttpRequest().META", SST_KIND_SOURCE, "django", NULL, NULL,
         SST_CAT_NETWORK_ID | SST_CAT_USER_TEXT},
        {"starlette.requests.Request().json()", SST_KIND_SOURCE, "starlette", NULL, NULL, SST_CAT_USER_TEXT},
    };
    check_lookups(builtin, cases, sizeof cases / sizeof *cases);
}

typedef struct returns_case {
    const char *path;
    const char *target;
    unsigned when_index;       /* the first entry's condition */
    const char *when_keyword;
    const char *when_glob;
    size_t chain;              /* entries of the path, through next */
} returns_case;

static void test_builtin_returns(void)
{
    static const returns_case cases[] = {
        {"requests.session()", "requests.Session()", 0, NULL, NULL, 1},
        {"openai.OpenAI().with_options()", "openai.OpenAI()", 0, NULL, NULL, 1},
        {"langchain_openai.ChatOpenAI().bind_tools()", "langchain_openai.ChatOpenAI()", 0, NULL, NULL, 1},
        {"langchain_openai.ChatOpenAI().with_structured_output()", "langchain_openai.ChatOpenAI()", 0, NULL, NULL, 1},
        {"langchain.chat_models.init_chat_model()", "langchain_openai.ChatOpenAI()", 0, "model_provider", "openai", 8},
        {"boto3.client()", "botocore.client.S3()", 1, "service_name", "s3", 8},
        {"boto3.session.Session().client()", "botocore.client.S3()", 1, "service_name", "s3", 8},
        {"boto3.resource()", "boto3.resources.factory.s3.ServiceResource()", 1, "service_name", "s3", 4},
        {"boto3.Session()", "boto3.session.Session()", 0, NULL, NULL, 1},
        {"open()", "builtins.open().writer()", 2, "mode", "*[wax+]*", 1},
        {"pathlib.Path().open()", "builtins.open().writer()", 1, "mode", "*[wax+]*", 1},
        {"sqlalchemy.orm.sessionmaker()()", "sqlalchemy.orm.Session()", 0, NULL, NULL, 1},
        {"sentry_sdk.push_scope()", "sentry_sdk.Scope()", 0, NULL, NULL, 1},
        {"opentelemetry.trace.get_tracer().start_as_current_span()", "opentelemetry.trace.Span()", 0, NULL, NULL, 1},
        {"ddtrace.tracer.trace()", "ddtrace.trace.Span()", 0, NULL, NULL, 1},
        {"logging.getLogger().getChild()", "logging.getLogger()", 0, NULL, NULL, 1},
        {"fastapi.Request()", "starlette.requests.Request()", 0, NULL, NULL, 1},
        {"hubspot.Client.create()", "hubspot.HubSpot()", 0, NULL, NULL, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const returns_case *c = &cases[i];
        const sst_entry *e = sst_catalog_lookup(builtin, c->path);
        size_t chain = 0;
        int kinds = 1;
        for (const sst_entry *x = e; x; x = x->next, chain++) kinds &= x->kind == SST_KIND_RETURNS && x->target;
        int ok = e && e->kind == SST_KIND_RETURNS && same_str(e->target, c->target) &&
                 e->when_index == c->when_index && same_str(e->when_keyword, c->when_keyword) &&
                 same_str(e->when_glob, c->when_glob) && chain == c->chain && kinds;
        if (!ok) {
            if (!e) printf("\n    %s: not found\n", c->path);
            else
                printf("\n    %s: %s -> %s when %u|%s:%s, %zu chained; expected -> %s when %u|%s:%s, %zu\n", c->path,
                       sst_kind_name(e->kind), or_null(e->target), e->when_index, or_null(e->when_keyword),
                       or_null(e->when_glob), chain, c->target, c->when_index, or_null(c->when_keyword),
                       or_null(c->when_glob), c->chain);
        }
        CU_ASSERT(ok);
    }
    /* the boto3 chain, in file order */
    static const char *const targets[] = {"botocore.client.S3()",    "botocore.client.SNS()",
                                          "botocore.client.SQS()",   "botocore.client.SES()",
                                          "botocore.client.SESV2()", "botocore.client.DynamoDB()",
                                          "botocore.client.Kinesis()", "botocore.client.Firehose()"};
    static const char *const globs[] = {"s3", "sns", "sqs", "ses", "sesv2", "dynamodb", "kinesis", "firehose"};
    const sst_entry *e = sst_catalog_lookup(builtin, "boto3.client()");
    for (size_t i = 0; i < 8; i++, e = e ? e->next : NULL) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        EXPECT_STR(e->target, targets[i]);
        EXPECT_STR(e->when_glob, globs[i]);
        EXPECT_STR(e->service, "boto3");
        EXPECT_STR(e->file, "cloud.cat");
        EXPECT_INT(e->line, 11 + i);
    }
    CU_ASSERT_PTR_NULL(e);
}

static void test_builtin_config(void)
{
    const sst_entry *e = sst_catalog_lookup(builtin, "sentry_sdk.init");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_CONFIG);
    EXPECT_STR(e->service, "sentry");
    CU_ASSERT_PTR_NULL(e->host);
    EXPECT_INT(e->when_index, 0);
    EXPECT_STR(e->when_keyword, "send_default_pii");
    EXPECT_STR(e->when_glob, "True");
    EXPECT_STR(e->file, "monitoring.cat");
    EXPECT_INT(e->line, 31);
    e = e->next;
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_CONFIG);
    EXPECT_STR(e->when_keyword, "max_request_body_size");
    EXPECT_STR(e->when_glob, "always");
    EXPECT_INT(e->line, 32);
    CU_ASSERT_PTR_NULL(e->next);

    e = sst_catalog_lookup(builtin, "rollbar.init");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_CONFIG);
    EXPECT_STR(e->host, "api.rollbar.com"); /* config takes its group's host */
    EXPECT_STR(e->when_keyword, "capture_email");
    CU_ASSERT_PTR_NOT_NULL(e->next);
}

/* Where entries come from: the file and line of the line that made them. */
static void test_builtin_origin(void)
{
    static const struct {
        const char *path;
        const char *file;
        unsigned line;
    } cases[] = {
        {"requests.post", "http.cat", 18},
        {"print", "logs.cat", 46},
        {"flask.request.form", "sources.cat", 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const sst_entry *e = sst_catalog_lookup(builtin, cases[i].path);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        EXPECT_STR(e->file, cases[i].file);
        EXPECT_INT(e->line, cases[i].line);
    }
}

/* The issue's list of services, each with its kind of entries; and at least
 * forty distinct egress services in all. */
static void test_builtin_services(void)
{
    static const struct {
        const char *service;
        sst_kind kind;
    } wanted[] = {
        {"requests", SST_KIND_EXTERNAL}, {"httpx", SST_KIND_EXTERNAL}, {"aiohttp", SST_KIND_EXTERNAL},
        {"urllib", SST_KIND_EXTERNAL}, {"urllib3", SST_KIND_EXTERNAL}, {"http.client", SST_KIND_EXTERNAL},
        {"httplib2", SST_KIND_EXTERNAL}, {"openai", SST_KIND_EXTERNAL}, {"anthropic", SST_KIND_EXTERNAL},
        {"langchain", SST_KIND_EXTERNAL}, {"google-genai", SST_KIND_EXTERNAL}, {"cohere", SST_KIND_EXTERNAL},
        {"mistral", SST_KIND_EXTERNAL}, {"segment", SST_KIND_EXTERNAL}, {"mixpanel", SST_KIND_EXTERNAL},
        {"posthog", SST_KIND_EXTERNAL}, {"amplitude", SST_KIND_EXTERNAL}, {"heap", SST_KIND_EXTERNAL},
        {"sentry", SST_KIND_EXTERNAL}, {"sentry", SST_KIND_CONFIG}, {"rollbar", SST_KIND_EXTERNAL},
        {"bugsnag", SST_KIND_EXTERNAL}, {"newrelic", SST_KIND_EXTERNAL}, {"datadog", SST_KIND_EXTERNAL},
        {"opentelemetry", SST_KIND_EXTERNAL}, {"stripe", SST_KIND_EXTERNAL}, {"braintree", SST_KIND_EXTERNAL},
        {"paypal", SST_KIND_EXTERNAL}, {"smtp", SST_KIND_EXTERNAL}, {"django-mail", SST_KIND_EXTERNAL},
        {"flask-mail", SST_KIND_EXTERNAL}, {"sendgrid", SST_KIND_EXTERNAL}, {"mailgun", SST_KIND_EXTERNAL},
        {"mailchimp", SST_KIND_EXTERNAL}, {"postmark", SST_KIND_EXTERNAL}, {"aws-ses", SST_KIND_EXTERNAL},
        {"twilio", SST_KIND_EXTERNAL}, {"vonage", SST_KIND_EXTERNAL}, {"aws-s3", SST_KIND_EXTERNAL},
        {"aws-sns", SST_KIND_EXTERNAL}, {"aws-sqs", SST_KIND_EXTERNAL}, {"google-cloud-storage", SST_KIND_EXTERNAL},
        {"google-cloud-bigquery", SST_KIND_EXTERNAL}, {"firebase", SST_KIND_EXTERNAL},
        {"hubspot", SST_KIND_EXTERNAL}, {"salesforce", SST_KIND_EXTERNAL}, {"intercom", SST_KIND_EXTERNAL},
        {"zendesk", SST_KIND_EXTERNAL}, {"slack", SST_KIND_EXTERNAL}, {"shopify", SST_KIND_EXTERNAL},
        {"algolia", SST_KIND_EXTERNAL}, {"elasticsearch", SST_KIND_STORE}, {"sqlalchemy", SST_KIND_STORE},
        {"django-orm", SST_KIND_STORE}, {"sqlite3", SST_KIND_STORE}, {"psycopg2", SST_KIND_STORE},
        {"psycopg", SST_KIND_STORE}, {"file", SST_KIND_STORE}, {"serialization", SST_KIND_STORE},
        {"logging", SST_KIND_LOG}, {"stdout", SST_KIND_LOG}, {"flask", SST_KIND_SOURCE},
        {"flask-login", SST_KIND_SOURCE}, {"django", SST_KIND_SOURCE}, {"starlette", SST_KIND_SOURCE},
    };
    size_t n = sst_catalog_count(builtin);
    for (size_t w = 0; w < sizeof wanted / sizeof *wanted; w++) {
        size_t found = 0;
        for (size_t i = 0; i < n; i++) {
            const sst_entry *e = sst_catalog_entry_at(builtin, i);
            found += e->kind == wanted[w].kind && !strcmp(e->service, wanted[w].service);
        }
        if (!found) printf("\n    no %s entry of service %s\n", sst_kind_name(wanted[w].kind), wanted[w].service);
        CU_ASSERT(found > 0);
    }
    /* distinct services with an external entry */
    const char *seen[256];
    size_t nseen = 0;
    for (size_t i = 0; i < n; i++) {
        const sst_entry *e = sst_catalog_entry_at(builtin, i);
        if (e->kind != SST_KIND_EXTERNAL) continue;
        size_t k = 0;
        while (k < nseen && strcmp(seen[k], e->service)) k++;
        if (k == nseen && nseen < 256) seen[nseen++] = e->service;
    }
    if (nseen < 40) printf("\n    %zu egress services\n", nseen);
    CU_ASSERT(nseen >= 40);
}

/* Every entry of the built-in catalogue is well formed and findable. */
static void test_builtin_every_entry(void)
{
    size_t n = sst_catalog_count(builtin);
    CU_ASSERT(n > 500);
    CU_ASSERT_PTR_NULL(sst_catalog_entry_at(builtin, n));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const sst_entry *e = sst_catalog_entry_at(builtin, i);
        /* findable: through its path's chain */
        const sst_entry *x = sst_catalog_lookup(builtin, e->path);
        while (x && x != e) x = x->next;
        int ok = x == e && e->service && e->file && e->line > 0 && !sst_catalog_is_disabled(builtin, e) &&
                 sst_catalog_has_prefix(builtin, e->path, strlen(e->path)) &&
                 (e->kind == SST_KIND_RETURNS) == (e->target != NULL) &&
                 (e->kind == SST_KIND_SOURCE || !e->categories) &&
                 (!e->host || e->kind == SST_KIND_EXTERNAL || e->kind == SST_KIND_CONFIG) &&
                 (!e->when_glob || e->kind == SST_KIND_RETURNS || e->kind == SST_KIND_CONFIG) &&
                 (e->when_glob || (!e->when_index && !e->when_keyword));
        /* a returns target leads somewhere: it is itself a prefix of an entry */
        if (ok && e->target) ok = sst_catalog_has_prefix(builtin, e->target, strlen(e->target));
        if (!ok) {
            printf("\n    entry %zu %s %s (%s:%u) is malformed\n", i, sst_kind_name(e->kind), e->path,
                   or_null(e->file), e->line);
            bad++;
        }
    }
    EXPECT_INT(bad, 0);
}

static void test_builtin_misses(void)
{
    static const char *const misses[] = {
        "requests",            /* a prefix, not an entry */
        "requests.Session()",  /* likewise */
        "requests.nothing",
        "Requests.post",       /* case matters */
        "requests.post ",
        "",
        "smtplib.SMTP.sendmail", /* the method of the class, not of an instance */
    };
    for (size_t i = 0; i < sizeof misses / sizeof *misses; i++) {
        const sst_entry *e = sst_catalog_lookup(builtin, misses[i]);
        if (e) printf("\n    \"%s\" found as %s\n", misses[i], e->path);
        CU_ASSERT_PTR_NULL(e);
    }
}

typedef struct prefix_case {
    const char *path;
    size_t len;   /* 0: strlen */
    int expected;
} prefix_case;

static void test_has_prefix(void)
{
    static const prefix_case cases[] = {
        {"requests", 0, 1},
        {"requests.post", 0, 1},           /* a whole path is its own prefix */
        {"requests.Session", 0, 1},        /* cut at '(' */
        {"requests.Session()", 0, 1},      /* cut at '.' after the call */
        {"requests.Session().post", 0, 1},
        {"smtplib.SMTP", 0, 1},
        {"smtplib.SMTP()", 0, 1},
        {"smtplib.SMTP(", 0, 0},           /* not at a boundary */
        {"smtplib.SMT", 0, 0},
        {"request", 0, 0},
        {"requests.", 0, 0},
        {"requests.Sess", 0, 0},
        {"requests.post.x", 0, 0},
        {"flask", 0, 1},
        {"flask.request", 0, 1},
        {"flask.request.get_json", 0, 1},
        {"http", 0, 1},
        {"http.client.HTTPConnection()", 0, 1},
        {"os", 0, 0},
        {"", 0, 0},
        /* paths of conditional entries and of returns rules are prefixes too */
        {"boto3", 0, 1},
        {"boto3.client", 0, 1},
        {"boto3.client()", 0, 1},
        {"botocore.client.SNS()", 0, 1},
        {"botocore.client.SNS().publish", 0, 1},
        {"botocore.client.SNS().nothing", 0, 0},
        {"sentry_sdk.init", 0, 1},
        {"open()", 0, 1},
        {"builtins.open().writer()", 0, 1},
        {"sqlalchemy.orm.sessionmaker()()", 0, 1},
        {"sqlalchemy.orm.sessionmaker()(", 0, 0},
        /* only LEN bytes count */
        {"requests.postXYZ", 13, 1},
        {"smtplib.SMTP().sendmail(", 23, 1},
        {"requests.post", 4, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].path);
        int got = sst_catalog_has_prefix(builtin, cases[i].path, len);
        if (got != cases[i].expected)
            printf("\n    has_prefix(\"%.*s\") is %d, expected %d\n", (int)len, cases[i].path, got,
                   cases[i].expected);
        CU_ASSERT(got == cases[i].expected);
    }
}

/* ---- user text -------------------------------------------------------------- */

static void test_user_text(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    const char *text =
        "# a user catalogue\n"
        "service acme host=api.acme.test   # every entry goes to this host\n"
        "external acme.send\n"
        "external acme.Client().upload host=files.acme.test\n"
        "returns acme.connect() -> acme.Client()\n"
        "source acme.inbox categories=email,phone\n"
        "\n"
        "service mine\n"
        "store requests.post              # override: treated as a store now\n"
        "external mine.api.push\r\n";
    EXPECT_INT(add(cat, "user.cat", text, &err), 0);
    EXPECT_INT(err.code, 0);

    const sst_entry *e = sst_catalog_lookup(cat, "acme.send");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_EXTERNAL);
    EXPECT_STR(e->service, "acme");
    EXPECT_STR(e->host, "api.acme.test");

    e = sst_catalog_lookup(cat, "acme.Client().upload");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_STR(e->host, "files.acme.test");

    e = sst_catalog_lookup(cat, "acme.connect()");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_RETURNS);
    EXPECT_STR(e->target, "acme.Client()");

    e = sst_catalog_lookup(cat, "acme.inbox");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_SOURCE);
    EXPECT_INT(e->categories, SST_CAT_EMAIL | SST_CAT_PHONE);
    CU_ASSERT_PTR_NULL(e->host);  /* a source has no destination */
    EXPECT_STR(e->file, "user.cat");
    EXPECT_INT(e->line, 6);

    /* the override: same path, the later line wins, the service is the new one
     * and the host of the old group does not leak into the new */
    e = sst_catalog_lookup(cat, "requests.post");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, SST_KIND_STORE);
    EXPECT_STR(e->service, "mine");
    CU_ASSERT_PTR_NULL(e->host);

    /* CRLF line: the path has no trailing CR */
    e = sst_catalog_lookup(cat, "mine.api.push");
    CU_ASSERT_PTR_NOT_NULL(e);

    CU_ASSERT(sst_catalog_has_prefix(cat, "acme", 4));
    CU_ASSERT(sst_catalog_has_prefix(cat, "acme.Client()", 13));
    CU_ASSERT(sst_catalog_has_prefix(cat, "mine.api", 8));
    /* the built-in entries are still there */
    e = sst_catalog_lookup(cat, "requests.get");
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e) EXPECT_STR(e->service, "requests");
    /* and the built-in catalogue loaded separately is untouched */
    e = sst_catalog_lookup(builtin, "requests.post");
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e) EXPECT_INT(e->kind, SST_KIND_EXTERNAL);
    CU_ASSERT_PTR_NULL(sst_catalog_lookup(builtin, "acme.send"));
    sst_catalog_free(cat);
}

static void test_add_file(void)
{
    char path[] = "/tmp/sst-test-catalog-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    const char text[] = "service filed\nexternal filed.send\nstore filed.keep\n";
    CU_ASSERT(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    EXPECT_INT(sst_catalog_add_file(cat, path, &err), 0);
    const sst_entry *e = sst_catalog_lookup(cat, "filed.keep");
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e) {
        EXPECT_INT(e->kind, SST_KIND_STORE);
        EXPECT_STR(e->service, "filed");
        EXPECT_STR(e->file, path);
        EXPECT_INT(e->line, 3);
    }

    /* a bad line in a file: the error names the file and the line */
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("service filed\n\n# comment\nexternal filed.x extra=1\n", f);
    fclose(f);
    sst_error bad = {0};
    EXPECT_INT(sst_catalog_add_file(cat, path, &bad), SST_EINVAL);
    EXPECT_INT(bad.code, SST_EINVAL);
    EXPECT_STR(bad.path, path);
    EXPECT_INT(bad.line, 4);
    EXPECT_STR(bad.message, "unknown option 'extra=1' (host=, categories=, args=, when=)");
    unlink(path);

    sst_error missing = {0};
    EXPECT_INT(sst_catalog_add_file(cat, "/nonexistent/dir/x.cat", &missing), SST_EIO);
    EXPECT_INT(missing.code, SST_EIO);
    EXPECT_STR(missing.path, "/nonexistent/dir/x.cat");
    EXPECT_INT(missing.line, 0);
    EXPECT_STR(missing.message, "cannot open catalogue: No such file or directory");
    sst_catalog_free(cat);
}

/* ---- errors ------------------------------------------------------------------ */

typedef struct error_case {
    const char *text;
    unsigned line;
    const char *message;
} error_case;

static void test_errors(void)
{
    char long_line[1100];
    memset(long_line, 'x', sizeof long_line - 1);
    long_line[sizeof long_line - 1] = 0;
    memcpy(long_line, "# ", 2);
    char long_service[100], long_host[200];
    snprintf(long_service, sizeof long_service, "service %064d\n", 0);                 /* a 64-byte name */
    snprintf(long_host, sizeof long_host, "service s host=h%0127d\n", 0);             /* a 128-byte host */
    const error_case cases[] = {
        {"service s\nfrobnicate a.b\n", 2,
         "unknown directive 'frobnicate' (service, external, store, log, config, source, returns, names, unless)"},
        {"# header\n\nexternal a.b\n", 3, "'external' before any 'service' line"},
        {"# header\nlog a.b\n", 2, "'log' before any 'service' line"},
        {"config a.b when=x:1\n", 1, "'config' before any 'service' line"},
        {"service s\nexternal a-b\n", 2, "'a-b' is not an API path (dotted names, '()' for a call)"},
        {"service s\nexternal .a\n", 2, "'.a' is not an API path (dotted names, '()' for a call)"},
        {"service s\nexternal a..b\n", 2, "'a..b' is not an API path (dotted names, '()' for a call)"},
        {"service s\nexternal a.b.\n", 2, "'a.b.' is not an API path (dotted names, '()' for a call)"},
        {"service s\nexternal a.(b)\n", 2, "'a.(b)' is not an API path (dotted names, '()' for a call)"},
        {"service s\nexternal a(\n", 2, "'a(' is not an API path (dotted names, '()' for a call)"},
        {"service s\nexternal a()b\n", 2, "'a()b' is not an API path (dotted names, '()' for a call)"},
        {"service s\nexternal 1a.b\n", 2, "'1a.b' is not an API path (dotted names, '()' for a call)"},
        {"service s\nlog a.b()(x)\n", 2, "'a.b()(x)' is not an API path (dotted names, '()' for a call)"},
        {"service s\nreturns a.b() -> a/b\n", 2, "'a/b' is not an API path (dotted names, '()' for a call)"},
        {"service s\nreturns a.b() -> a.b()\n", 2, "'a.b()' returns itself"},
        {"service s\nreturns a.b -> a.c()\n", 2, "'returns a.b': the path of a returns rule ends in '()'"},
        {"service s\nsource a.b categories=email,bogus\n", 2, "unknown data category 'bogus'"},
        {"service s\nsource a.b categories=\n", 2, "'categories=' needs a list of data categories"},
        {"names email: mail\nnames bogus: thing\n", 2, "unknown data category 'bogus'"},
        {"unless  : thing\n", 1, "unknown data category ''"},
        {"service s\nreturns a.b a.c\n", 2, "expected 'returns PATH -> PATH'"},
        {"service s\nreturns a.b ->\n", 2, "expected 'returns PATH -> PATH'"},
        {"service s\nexternal a.b port=443\n", 2, "unknown option 'port=443' (host=, categories=, args=, when=)"},
        {"service s dns=1\n", 1, "unknown option 'dns=1' (host=, categories=, args=, when=)"},
        {"service s categories=email\n", 1, "'service' takes no 'categories=' (it is for: source)"},
        {"service s\nexternal a.b categories=email\n", 2, "'external' takes no 'categories=' (it is for: source)"},
        {"service s\nstore a.b host=db.test\n", 2, "'store' takes no 'host=' (it is for: service, external, config)"},
        {"service s\nsource a.b args=1\n", 2, "'source' takes no 'args=' (it is for: external, store, log)"},
        {"service s\nexternal a.b when=1:x\n", 2, "'external' takes no 'when=' (it is for: returns, config)"},
        {"service s\nlog a.b when=1:x\n", 2, "'log' takes no 'when=' (it is for: returns, config)"},
        {"service s\nexternal a.b host=a.test host=b.test\n", 2, "'host=' is given twice"},
        {"service s\nexternal a.b host=\n", 2, "'' is not a host name"},
        {"service s host=a/b\n", 1, "'a/b' is not a host name"},
        {"service a:b\n", 1, "'a:b' is not a service name (letters, digits, '_', '-', '.')"},
        {"service s\nexternal a.b args=\n", 2, "'args=' needs a list of positions and keywords"},
        {"service s\nexternal a.b args=1,,2\n", 2, "'args=1,,2': an empty or overlong item"},
        {"service s\nexternal a.b args=1,\n", 2, "'args=1,': an empty or overlong item"},
        {"service s\nexternal a.b args=0\n", 2, "'args=0': '0' is neither a position (1, 2...) nor a keyword"},
        {"service s\nexternal a.b args=01\n", 2, "'args=01': '01' is neither a position (1, 2...) nor a keyword"},
        {"service s\nexternal a.b args=1,json-x\n", 2,
         "'args=1,json-x': 'json-x' is neither a position (1, 2...) nor a keyword"},
        {"service s\nexternal a.b args=-1\n", 2, "'args=-1': '-1' is neither a position (1, 2...) nor a keyword"},
        {"service s\nexternal a.b args=1,json,1\n", 2, "'args=1,json,1': '1' is listed twice"},
        {"service s\nexternal a.b args=json,data,json\n", 2, "'args=json,data,json': 'json' is listed twice"},
        {"service s\nconfig a.b when=True\n", 2, "'when=True': expected ARG:GLOB (ARG is N, keyword or N|keyword)"},
        {"service s\nconfig a.b when=:True\n", 2, "'when=:True': expected ARG:GLOB (ARG is N, keyword or N|keyword)"},
        {"service s\nconfig a.b when=0:True\n", 2, "'when=0:True': expected ARG:GLOB (ARG is N, keyword or N|keyword)"},
        {"service s\nconfig a.b when=x|1:True\n", 2,
         "'when=x|1:True': expected ARG:GLOB (ARG is N, keyword or N|keyword)"},
        {"service s\nconfig a.b when=1|:True\n", 2, "'when=1|:True': expected ARG:GLOB (ARG is N, keyword or N|keyword)"},
        {"service s\nconfig a.b when=pii:\n", 2, "'when=pii:': the pattern is empty"},
        {"service s\nreturns a() -> b() when=1|mode:*[wa\n", 2, "'when=1|mode:*[wa': '[' without its ']'"},
        {"names email: one two three four five\n", 1, "a phrase has at most 4 words"},
        {"unless email: two words\n", 1, "an 'unless' entry is a single word"},
        {"names email mail\n", 1, "expected 'CATEGORY: phrase, phrase...'"},
        {"service\n", 1, "'service' needs a name"},
        {"service s\n\n\nstore\n", 4, "'store' needs an API path"},
        {"service s\nexternal a b c d e f g h i j k\n", 2, "too many words on one line"},
        {"service s\r\nexternal a.b\r\nbogus\r\n", 3,
         "unknown directive 'bogus' (service, external, store, log, config, source, returns, names, unless)"},
        {long_line, 1, "line longer than 1023 bytes"},
        {long_service, 1, "service name longer than 63 bytes"},
        {long_host, 1, "host longer than 127 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sst_catalog *cat = fresh();
        CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
        sst_error err = {0};
        int rc = add(cat, "user.cat", cases[i].text, &err);
        int ok = rc == SST_EINVAL && err.code == SST_EINVAL && !strcmp(err.path, "user.cat") &&
                 err.line == cases[i].line && !strcmp(err.message, cases[i].message);
        if (!ok)
            printf("\n    case %zu: rc %d, %s:%u: %s\n      expected user.cat:%u: %s\n", i, rc, err.path,
                   err.line, err.message, cases[i].line, cases[i].message);
        CU_ASSERT(ok);
        sst_catalog_free(cat);
    }
}

/* A host set by one "service" line does not carry over into the next one. */
static void test_service_groups(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    EXPECT_INT(add(cat, "a.cat", "service one host=one.test\nexternal one.send\n", &err), 0);
    /* a new text starts with no service: an entry first is an error */
    sst_error err2 = {0};
    EXPECT_INT(add(cat, "b.cat", "external two.send\n", &err2), SST_EINVAL);
    EXPECT_STR(err2.path, "b.cat");
    EXPECT_INT(err2.line, 1);
    EXPECT_INT(add(cat, "c.cat", "service three\nexternal three.send\n", &err), 0);
    const sst_entry *e = sst_catalog_lookup(cat, "three.send");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_PTR_NULL(e->host);
    e = sst_catalog_lookup(cat, "one.send");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_STR(e->host, "one.test");
    sst_catalog_free(cat);
}

/* "#" starts a comment (docs/catalogue.md), whatever follows it: a user's
 * comment line "#file ..." is a comment too, not a switch to another file
 * name and service group. */
static void test_comment_starting_with_file(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    int rc = add(cat, "user.cat", "service acme\n#file of acme endpoints\nexternal acme.send\n", &err);
    if (rc) printf("\n    rc %d: %s:%u: %s\n", rc, err.path, err.line, err.message);
    EXPECT_INT(rc, 0);
    const sst_entry *e = sst_catalog_lookup(cat, "acme.send");
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e) EXPECT_STR(e->service, "acme");
    sst_catalog_free(cat);
}

/* A NUL byte inside a line is an error, not the end of the text. */
static void test_nul_byte(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    static const char text[] = "service s\nexternal a.b\0c\n";
    sst_error err = {0};
    EXPECT_INT(sst_catalog_add_text(cat, "nul.cat", text, sizeof text - 1, &err), SST_EINVAL);
    EXPECT_STR(err.path, "nul.cat");
    EXPECT_INT(err.line, 2);
    EXPECT_STR(err.message, "a NUL byte in the line");
    sst_catalog_free(cat);
}

/* ---- log, config, args, when ---------------------------------------------------- */

static void test_log_and_args(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    int rc = add(cat, "user.cat",
                 "service audit host=audit.test\n"
                 "log audit.write args=2,message\n"
                 "external audit.Client().push args=1,payload,extra_data\n"
                 "store audit.db.save\n"
                 "external audit.ping\n",
                 &err);
    if (rc) printf("\n    %s:%u: %s\n", err.path, err.line, err.message);
    EXPECT_INT(rc, 0);
    static const lookup_case cases[] = {
        /* a log, like a store, has no destination host */
        {"audit.write", SST_KIND_LOG, "audit", NULL, "2,message", 0},
        {"audit.Client().push", SST_KIND_EXTERNAL, "audit", "audit.test", "1,payload,extra_data", 0},
        {"audit.db.save", SST_KIND_STORE, "audit", NULL, NULL, 0},
        {"audit.ping", SST_KIND_EXTERNAL, "audit", "audit.test", NULL, 0},
    };
    check_lookups(cat, cases, sizeof cases / sizeof *cases);
    EXPECT_STR(sst_kind_name(SST_KIND_LOG), "log");
    EXPECT_STR(sst_kind_name(SST_KIND_CONFIG), "config");
    sst_catalog_free(cat);
}

static void expect_when(const sst_entry *e, sst_kind kind, const char *target, unsigned index,
                        const char *keyword, const char *glob, unsigned line)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    EXPECT_INT(e->kind, kind);
    if (target) EXPECT_STR(e->target, target);
    else CU_ASSERT_PTR_NULL(e->target);
    EXPECT_UINT(e->when_index, index);
    if (keyword) EXPECT_STR(e->when_keyword, keyword);
    else CU_ASSERT_PTR_NULL(e->when_keyword);
    if (glob) EXPECT_STR(e->when_glob, glob);
    else CU_ASSERT_PTR_NULL(e->when_glob);
    EXPECT_INT(e->line, line);
}

/* Conditional entries of a path chain in file order; the unconditional one
 * is last wherever it appears; the same path and condition overrides. */
static void test_conditions(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    int rc = add(cat, "one.cat",
                 "service kit\n"
                 "returns kit.make() -> kit.Any()\n"                       /* 2: unconditional, first in file */
                 "returns kit.make() -> kit.Mail() when=1|kind:mail\n"     /* 3 */
                 "returns kit.make() -> kit.Sms() when=kind:sms*\n"        /* 4 */
                 "returns kit.make() -> kit.Push() when=2:push\n"          /* 5 */
                 "config kit.setup when=share_pii:True\n"                  /* 6 */
                 "config kit.setup when=2:[Tt]rue\n"                       /* 7 */
                 "external kit.Mail().send\n"
                 "external kit.Sms().send\n",
                 &err);
    if (rc) printf("\n    %s:%u: %s\n", err.path, err.line, err.message);
    EXPECT_INT(rc, 0);
    const sst_entry *e = sst_catalog_lookup(cat, "kit.make()");
    expect_when(e, SST_KIND_RETURNS, "kit.Mail()", 1, "kind", "mail", 3);
    e = e->next;
    expect_when(e, SST_KIND_RETURNS, "kit.Sms()", 0, "kind", "sms*", 4);
    e = e->next;
    expect_when(e, SST_KIND_RETURNS, "kit.Push()", 2, NULL, "push", 5);
    e = e->next;
    expect_when(e, SST_KIND_RETURNS, "kit.Any()", 0, NULL, NULL, 2);
    CU_ASSERT_PTR_NULL(e->next);
    e = sst_catalog_lookup(cat, "kit.setup");
    expect_when(e, SST_KIND_CONFIG, NULL, 0, "share_pii", "True", 6);
    expect_when(e->next, SST_KIND_CONFIG, NULL, 2, NULL, "[Tt]rue", 7);
    CU_ASSERT_PTR_NULL(e->next->next);

    /* a later file: a new condition joins the conditional ones (before the
     * unconditional), the same condition overrides in place, a new
     * unconditional entry replaces the old one */
    rc = add(cat, "two.cat",
             "service kit2\n"
             "returns kit.make() -> kit.Fax() when=kind:fax\n"             /* 2: new condition */
             "returns kit.make() -> kit.Sms2() when=kind:sms*\n"           /* 3: same as one.cat:4 */
             "returns kit.make() -> kit.Other()\n"                         /* 4: the unconditional */
             "returns kit.make() -> kit.Mail2() when=kind:mail\n"          /* 5: not one.cat:3 (1|kind) */
             "config kit.setup when=2:[Tt]rue\n",                          /* 6 */
             &err);
    if (rc) printf("\n    %s:%u: %s\n", err.path, err.line, err.message);
    EXPECT_INT(rc, 0);
    e = sst_catalog_lookup(cat, "kit.make()");
    expect_when(e, SST_KIND_RETURNS, "kit.Mail()", 1, "kind", "mail", 3);
    EXPECT_STR(e->file, "one.cat");
    e = e->next;
    expect_when(e, SST_KIND_RETURNS, "kit.Sms2()", 0, "kind", "sms*", 3);
    EXPECT_STR(e->file, "two.cat");
    EXPECT_STR(e->service, "kit2");
    e = e->next;
    expect_when(e, SST_KIND_RETURNS, "kit.Push()", 2, NULL, "push", 5);
    e = e->next;
    expect_when(e, SST_KIND_RETURNS, "kit.Fax()", 0, "kind", "fax", 2);
    e = e->next;
    expect_when(e, SST_KIND_RETURNS, "kit.Mail2()", 0, "kind", "mail", 5);
    e = e->next;
    expect_when(e, SST_KIND_RETURNS, "kit.Other()", 0, NULL, NULL, 4);
    EXPECT_STR(e->file, "two.cat");
    CU_ASSERT_PTR_NULL(e->next);
    e = sst_catalog_lookup(cat, "kit.setup");
    expect_when(e, SST_KIND_CONFIG, NULL, 0, "share_pii", "True", 6);
    EXPECT_STR(e->file, "one.cat");
    expect_when(e->next, SST_KIND_CONFIG, NULL, 2, NULL, "[Tt]rue", 6);
    EXPECT_STR(e->next->file, "two.cat");
    EXPECT_STR(e->next->service, "kit2");
    CU_ASSERT_PTR_NULL(e->next->next);
    CU_ASSERT(sst_catalog_has_prefix(cat, "kit.make()", 10));
    CU_ASSERT(sst_catalog_has_prefix(cat, "kit.setup", 9));
    sst_catalog_free(cat);
}

/* Every entry once, in load order; an overridden one keeps its first place. */
static void test_count_and_order(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    size_t base = sst_catalog_count(cat);
    EXPECT_UINT(base, sst_catalog_count(builtin));
    CU_ASSERT(base > 0);
    /* the built-in catalogue starts with the first file in name order */
    const sst_entry *first = sst_catalog_entry_at(cat, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    EXPECT_STR(first->path, "openai.OpenAI().chat.completions.create");
    EXPECT_STR(first->file, "ai.cat");
    sst_error err = {0};
    int rc = add(cat, "order.cat",
                 "service o\n"
                 "external o.a\n"
                 "store o.b\n"
                 "returns o.c() -> o.D() when=1:x\n"
                 "returns o.c() -> o.E()\n"
                 "log o.a\n"              /* overrides o.a: same place, new kind */
                 "external requests.post\n", /* overrides a built-in entry in place */
                 &err);
    EXPECT_INT(rc, 0);
    EXPECT_UINT(sst_catalog_count(cat), base + 4);
    static const char *const paths[] = {"o.a", "o.b", "o.c()", "o.c()"};
    static const sst_kind kinds[] = {SST_KIND_LOG, SST_KIND_STORE, SST_KIND_RETURNS, SST_KIND_RETURNS};
    static const unsigned lines[] = {6, 3, 4, 5};
    for (size_t i = 0; i < 4; i++) {
        const sst_entry *e = sst_catalog_entry_at(cat, base + i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        EXPECT_STR(e->path, paths[i]);
        EXPECT_INT(e->kind, kinds[i]);
        EXPECT_INT(e->line, lines[i]);
    }
    CU_ASSERT_PTR_NULL(sst_catalog_entry_at(cat, base + 4));
    /* requests.post was overridden where it stood */
    size_t at = base;
    for (size_t i = 0; i < base; i++)
        if (!strcmp(sst_catalog_entry_at(cat, i)->path, "requests.post")) at = i;
    CU_ASSERT(at < base);
    if (at < base) {
        const sst_entry *e = sst_catalog_entry_at(cat, at);
        EXPECT_STR(e->service, "o");
        EXPECT_STR(e->file, "order.cat");
        CU_ASSERT_PTR_NULL(e->args);  /* the override has none */
        CU_ASSERT(e == sst_catalog_lookup(cat, "requests.post"));
    }
    sst_catalog_free(cat);
}

static void test_disable(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    int rc = add(cat, "mix.cat",
                 "service one\n"
                 "returns mix.make() -> mix.A() when=1:a\n"
                 "service two\n"
                 "returns mix.make() -> mix.B() when=1:b\n"
                 "service one\n"
                 "returns mix.make() -> mix.C()\n"
                 "external mix.A().send\n"
                 "service two\n"
                 "external mix.B().send\n",
                 &err);
    EXPECT_INT(rc, 0);
    const sst_entry *a = sst_catalog_lookup(cat, "mix.make()");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    const sst_entry *b = a->next, *c = b ? b->next : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT(!sst_catalog_is_disabled(cat, a));
    CU_ASSERT(!sst_catalog_is_disabled(cat, b));
    CU_ASSERT(!sst_catalog_is_disabled(cat, c));

    /* by service: the chain skips the disabled entries */
    EXPECT_UINT(sst_catalog_disable(cat, "one"), 3);
    CU_ASSERT(sst_catalog_is_disabled(cat, a));
    CU_ASSERT(!sst_catalog_is_disabled(cat, b));
    CU_ASSERT(sst_catalog_is_disabled(cat, c));
    CU_ASSERT(sst_catalog_lookup(cat, "mix.make()") == b);
    CU_ASSERT_PTR_NULL(b->next);
    CU_ASSERT_PTR_NULL(sst_catalog_lookup(cat, "mix.A().send"));
    CU_ASSERT(sst_catalog_lookup(cat, "mix.B().send") != NULL);
    /* still listed, still a prefix */
    EXPECT_UINT(sst_catalog_count(cat), sst_catalog_count(builtin) + 5);
    CU_ASSERT(sst_catalog_has_prefix(cat, "mix.A().send", 12));

    /* by path: every entry of the path, whatever its service */
    EXPECT_UINT(sst_catalog_disable(cat, "mix.make()"), 3);
    CU_ASSERT_PTR_NULL(sst_catalog_lookup(cat, "mix.make()"));
    CU_ASSERT(sst_catalog_is_disabled(cat, b));
    /* nothing by that name */
    EXPECT_UINT(sst_catalog_disable(cat, "no-such-service"), 0);
    EXPECT_UINT(sst_catalog_disable(cat, "requests.nothing"), 0);
    /* a service, not a prefix: 8 functions, 7 Session methods, 1 returns rule */
    EXPECT_UINT(sst_catalog_disable(cat, "requests"), 16);
    CU_ASSERT_PTR_NULL(sst_catalog_lookup(cat, "requests.post"));
    CU_ASSERT_PTR_NULL(sst_catalog_lookup(cat, "requests.Session().send"));
    CU_ASSERT_PTR_NULL(sst_catalog_lookup(cat, "requests.session()"));
    CU_ASSERT(sst_catalog_lookup(cat, "httpx.post") != NULL);
    EXPECT_UINT(sst_catalog_disable(cat, "sentry_sdk.init"), 2);
    CU_ASSERT_PTR_NULL(sst_catalog_lookup(cat, "sentry_sdk.init"));
    CU_ASSERT(sst_catalog_lookup(cat, "sentry_sdk.set_user") != NULL);
    /* the built-in catalogue loaded on its own is untouched */
    CU_ASSERT(sst_catalog_lookup(builtin, "requests.post") != NULL);
    CU_ASSERT(sst_catalog_lookup(builtin, "sentry_sdk.init") != NULL);

    /* a later line for a disabled path makes a live entry again */
    EXPECT_INT(add(cat, "again.cat", "service again\nexternal requests.post\n", &err), 0);
    const sst_entry *e = sst_catalog_lookup(cat, "requests.post");
    CU_ASSERT_PTR_NOT_NULL(e);
    if (e) EXPECT_STR(e->service, "again");
    sst_catalog_free(cat);
}

/* ---- names ------------------------------------------------------------------- */

typedef struct name_case {
    const char *name;
    uint32_t categories;
} name_case;

static void check_names(const sst_catalog *cat, const name_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t got = sst_catalog_classify_name(cat, cases[i].name, strlen(cases[i].name));
        if (got != cases[i].categories)
            printf("\n    classify(\"%s\") is %#x, expected %#x\n", cases[i].name, got, cases[i].categories);
        CU_ASSERT(got == cases[i].categories);
    }
}

static void test_classify_words(void)
{
    static const name_case cases[] = {
        /* snake_case */
        {"email", SST_CAT_EMAIL},
        {"user_email", SST_CAT_EMAIL},
        {"first_name", SST_CAT_NAME},
        {"date_of_birth", SST_CAT_BIRTH_DATE},
        {"home_address", SST_CAT_ADDRESS},
        {"_private_phone_", SST_CAT_PHONE},
        {"email2", SST_CAT_EMAIL},
        {"phone_1", SST_CAT_PHONE},
        /* camelCase and PascalCase */
        {"userEmail", SST_CAT_EMAIL},
        {"firstName", SST_CAT_NAME},
        {"DateOfBirth", SST_CAT_BIRTH_DATE},
        {"contactEmailAddress", SST_CAT_EMAIL}, /* "email" vetoes address */
        /* acronyms */
        {"HTTPServer", 0},
        {"userSSN", SST_CAT_GOVERNMENT_ID},
        {"SSNNumber", SST_CAT_GOVERNMENT_ID},
        {"EMAIL", SST_CAT_EMAIL},
        {"USER_PHONE", SST_CAT_PHONE},
        {"EMail", SST_CAT_EMAIL},              /* "e mail" */
        {"clientIPAddress", SST_CAT_NETWORK_ID},
        /* a phrase is words in order, whole words */
        {"name_first", 0},
        {"emailing", 0},
        {"tokenizer", 0},
        {"zipper", 0},
    };
    check_names(builtin, cases, sizeof cases / sizeof *cases);
}

static void test_classify_vetoes(void)
{
    static const name_case cases[] = {
        {"email_template", 0},
        {"emailTemplate", 0},
        {"EMAIL_BACKEND", 0},
        {"phone_count", 0},
        {"token_count", 0},
        {"file_name", 0},
        {"health_check", 0},
        {"ip_address", SST_CAT_NETWORK_ID},   /* address vetoed by "ip" */
        {"mail_address", SST_CAT_EMAIL},      /* address vetoed by "mail" */
        {"remote_addr", SST_CAT_NETWORK_ID},
        {"location_header", 0},
    };
    check_names(builtin, cases, sizeof cases / sizeof *cases);
}

static void test_classify_several(void)
{
    static const name_case cases[] = {
        {"email_and_phone", SST_CAT_EMAIL | SST_CAT_PHONE},
        {"firstNameAndEmail", SST_CAT_NAME | SST_CAT_EMAIL},
        {"billing_address_iban", SST_CAT_ADDRESS | SST_CAT_FINANCIAL},
        {"patient_name_diagnosis", SST_CAT_NAME | SST_CAT_HEALTH},
        {"salary_and_password", SST_CAT_FINANCIAL | SST_CAT_CREDENTIALS},
        /* the veto takes out its own category only */
        {"email_template_phone", SST_CAT_PHONE},
    };
    check_names(builtin, cases, sizeof cases / sizeof *cases);
}

static void test_classify_nothing(void)
{
    static const name_case cases[] = {
        {"", 0},
        {"x", 0},
        {"_", 0},
        {"__init__", 0},
        {"123", 0},
        {"counter", 0},
        {"self", 0},
        {"request", 0},
        {"data", 0},
        {"maxRetries", 0},
    };
    check_names(builtin, cases, sizeof cases / sizeof *cases);
    /* only LEN bytes are read */
    EXPECT_INT(sst_catalog_classify_name(builtin, "emailXYZ", 5), SST_CAT_EMAIL);
    EXPECT_INT(sst_catalog_classify_name(builtin, "email_template", 5), SST_CAT_EMAIL);
}

/* Words added to names.cat for issue 3: one case each, and one name each
 * that must stay out. */
static void test_classify_added_words(void)
{
    static const name_case cases[] = {
        {"emailaddress", SST_CAT_EMAIL},
        {"user_email_addr", SST_CAT_EMAIL},
        {"phoneNumber", SST_CAT_PHONE},
        {"phonenumber", SST_CAT_PHONE},
        {"mobile_number", SST_CAT_PHONE},
        {"fax", SST_CAT_PHONE},
        {"username", SST_CAT_NAME},
        {"user_name", SST_CAT_NAME},
        {"nickname", SST_CAT_NAME},
        {"forename", SST_CAT_NAME},
        {"screenName", SST_CAT_NAME},
        {"cardholder", SST_CAT_NAME},
        {"card_holder_name", SST_CAT_NAME},
        {"hostname", 0},
        {"city", SST_CAT_ADDRESS},
        {"address_line_2", SST_CAT_ADDRESS},
        {"houseNumber", SST_CAT_ADDRESS},
        {"apartment", SST_CAT_ADDRESS},
        {"mailing_address", SST_CAT_ADDRESS},  /* "mail" vetoes address, "mailing" does not */
        {"capacity", 0},
        {"birth_year", SST_CAT_BIRTH_DATE},
        {"yearOfBirth", SST_CAT_BIRTH_DATE},
        {"dateofbirth", SST_CAT_BIRTH_DATE},
        {"bday", SST_CAT_BIRTH_DATE},
        {"national_insurance_number", SST_CAT_GOVERNMENT_ID},
        {"identityNumber", SST_CAT_GOVERNMENT_ID},
        {"id_number", SST_CAT_GOVERNMENT_ID},
        {"id_card", SST_CAT_GOVERNMENT_ID},
        {"identity_card", SST_CAT_GOVERNMENT_ID},
        {"tax_number", SST_CAT_GOVERNMENT_ID},
        {"taxpayerId", SST_CAT_GOVERNMENT_ID},
        {"aadhaar", SST_CAT_GOVERNMENT_ID},
        {"cpf", SST_CAT_GOVERNMENT_ID},
        {"order_id", 0},
        {"bic", SST_CAT_FINANCIAL},
        {"swift_code", SST_CAT_FINANCIAL},
        {"sortCode", SST_CAT_FINANCIAL},
        {"credit_score", SST_CAT_FINANCIAL},
        {"payment_card", SST_CAT_FINANCIAL},
        {"cc_number", SST_CAT_FINANCIAL},
        {"ccn", SST_CAT_FINANCIAL},
        {"card_expiry", SST_CAT_FINANCIAL},
        {"bank_details", SST_CAT_FINANCIAL},
        {"earnings", SST_CAT_FINANCIAL},
        {"debt", SST_CAT_FINANCIAL},
        {"swift", 0},
        {"bloodPressure", SST_CAT_HEALTH},
        {"resting_heart_rate", SST_CAT_HEALTH},
        {"bmi", SST_CAT_HEALTH},
        {"vaccination_date", SST_CAT_HEALTH},
        {"disease", SST_CAT_HEALTH},
        {"illness", SST_CAT_HEALTH},
        {"patient", SST_CAT_HEALTH},
        {"genetic_markers", SST_CAT_HEALTH},
        {"pin", SST_CAT_CREDENTIALS},
        {"pin_code", SST_CAT_CREDENTIALS},
        {"jwt", SST_CAT_CREDENTIALS},
        {"security_answer", SST_CAT_CREDENTIALS},
        {"totp", SST_CAT_CREDENTIALS},
        {"mfaCode", SST_CAT_CREDENTIALS},
        {"spinner", 0},
        {"geo", SST_CAT_LOCATION},
        {"geohash", SST_CAT_LOCATION},
        {"geopoint", SST_CAT_LOCATION},
        {"ip", SST_CAT_NETWORK_ID},
        {"client_ipv4", SST_CAT_NETWORK_ID},
        {"ipv6", SST_CAT_NETWORK_ID},
        {"imei", SST_CAT_NETWORK_ID},
        {"idfa", SST_CAT_NETWORK_ID},
        {"gaid", SST_CAT_NETWORK_ID},
        {"advertising_id", SST_CAT_NETWORK_ID},
        {"deviceFingerprint", SST_CAT_NETWORK_ID},
        {"x_forwarded_for", SST_CAT_NETWORK_ID},
        {"mac_address", SST_CAT_NETWORK_ID},    /* "mac" vetoes address */
        {"zip_ip", SST_CAT_NETWORK_ID},         /* "ip" vetoes address */
        {"tip", 0},
        /* vetoes added with them: names of formats and fields, not data */
        {"dob_format", 0},
        {"birthday_field", 0},
        {"ssn_regex", 0},
        {"passport_validator", 0},
        {"id_card_type", 0},
        {"ip_version", 0},
        {"user_agent_parser", 0},
        {"ipAddressColumn", 0},
        {"passport_photo", SST_CAT_GOVERNMENT_ID},
        {"dob", SST_CAT_BIRTH_DATE},
    };
    check_names(builtin, cases, sizeof cases / sizeof *cases);
}

/* "names" and "unless" from a user text extend the built-in rules. */
static void test_classify_user_rules(void)
{
    sst_catalog *cat = fresh();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    sst_error err = {0};
    EXPECT_INT(add(cat, "names.cat",
                   "names health: sleep apnea, Step Count\n"
                   "unless email: draft\n", &err), 0);
    static const name_case cases[] = {
        {"sleepApnea", SST_CAT_HEALTH},
        {"daily_step_count", SST_CAT_HEALTH},  /* upper case in the file is folded */
        {"apnea_sleep", 0},
        {"email_draft", 0},
        {"email", SST_CAT_EMAIL},
    };
    check_names(cat, cases, sizeof cases / sizeof *cases);
    /* the built-in catalogue does not see them */
    EXPECT_INT(sst_catalog_classify_name(builtin, "sleepApnea", 10), 0);
    EXPECT_INT(sst_catalog_classify_name(builtin, "email_draft", 11), SST_CAT_EMAIL);
    sst_catalog_free(cat);
}

static void test_names(void)
{
    EXPECT_STR(sst_kind_name(SST_KIND_EXTERNAL), "external");
    EXPECT_STR(sst_kind_name(SST_KIND_STORE), "store");
    EXPECT_STR(sst_kind_name(SST_KIND_SOURCE), "source");
    EXPECT_STR(sst_kind_name(SST_KIND_RETURNS), "returns");
    EXPECT_STR(sst_kind_name(SST_KIND_LOG), "log");
    EXPECT_STR(sst_kind_name(SST_KIND_CONFIG), "config");
    EXPECT_STR(sst_kind_name((sst_kind)99), "?");
    EXPECT_STR(sst_category_name(0), "email");
    EXPECT_STR(sst_category_name(6), "financial");
    EXPECT_STR(sst_category_name(SST_CAT_COUNT - 1), "user_text");
    CU_ASSERT_PTR_NULL(sst_category_name(SST_CAT_COUNT));
}

int main(void)
{
    static const sst_test tests[] = {
        {"builtin_lookups", test_builtin_lookups},
        {"builtin_returns", test_builtin_returns},
        {"builtin_config", test_builtin_config},
        {"builtin_origin", test_builtin_origin},
        {"builtin_services", test_builtin_services},
        {"builtin_every_entry", test_builtin_every_entry},
        {"builtin_misses", test_builtin_misses},
        {"has_prefix", test_has_prefix},
        {"user_text", test_user_text},
        {"add_file", test_add_file},
        {"errors", test_errors},
        {"service_groups", test_service_groups},
        {"comment_starting_with_file", test_comment_starting_with_file},
        {"nul_byte", test_nul_byte},
        {"log_and_args", test_log_and_args},
        {"conditions", test_conditions},
        {"count_and_order", test_count_and_order},
        {"disable", test_disable},
        {"classify_words", test_classify_words},
        {"classify_vetoes", test_classify_vetoes},
        {"classify_several", test_classify_several},
        {"classify_nothing", test_classify_nothing},
        {"classify_added_words", test_classify_added_words},
        {"classify_user_rules", test_classify_user_rules},
        {"names", test_names},
    };
    return run_suite("catalog", suite_init, suite_clean, tests, sizeof tests / sizeof *tests, &init_failed);
}
