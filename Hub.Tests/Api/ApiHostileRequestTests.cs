using System.Net;
using System.Text;
using System.Text.Json;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Api;

/// <summary>
/// Malformed and hostile requests at every route of the HTTP API, with a valid key and without: each
/// is refused with the 4xx that says why, and none is ever answered with a 5xx. The routes come from
/// the node's endpoints, so a route added later meets all of this without being listed here.
/// </summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class ApiHostileRequestTests(Topology topology) : ApiTest(topology)
{
    private const string Json = "application/json";
    private const string Hi = "{\"text\":\"hi\"}";

    // Without a key, whatever gets past routing (which answers 404, 405 and most 415s itself) is a 401.
    private static readonly HttpStatusCode[] Unauthorized = [HttpStatusCode.Unauthorized];

    private static readonly HttpStatusCode[] Served =
        [HttpStatusCode.OK, HttpStatusCode.Accepted, HttpStatusCode.NoContent, HttpStatusCode.BadRequest, HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed];

    private readonly List<string> _misanswered = [];

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        // The requests must meet the API's parsers, not its rate limit.
        ["Hub:Api:RequestsPerSecond"] = "100000",
    };

    [SetUp]
    public void ForgetMisanswers() => _misanswered.Clear();

    [Test]
    public void TheRoutesMet_AreTheContractsRoutes_AndOnlyTheSendsTakeABody()
    {
        var routes = ApiRoute.Of(NodeA);

        Assert.That(routes.SelectMany(r => r.Methods.Select(m => $"{m} {r.Pattern}")), Is.SupersetOf(ApiRoute.Contract));
        Assert.That(routes.Where(r => r.TakesBody).Select(r => r.ToString()), Is.EquivalentTo(new[]
        {
            "POST /api/v1/messages",
            "POST /api/v1/connections/{id}/messages",
            "POST /api/v1/users/{id}/messages",
            "POST /api/v1/groups/{group}/messages",
        }));
    }

    [Test]
    public async Task ABodyThatIsNotJsonTheNodeCanRead_Is415_SayingWhatIsExpected([Values] bool withKey)
    {
        string?[] contentTypes =
        [
            "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
            "application/xml", "text/json", "application/jsonx", "*/*", ";;;", "application/json;;;", "", null,
            "application/json; charset=bogus", "application/json; charset=utf-7", "application/json; charset=\"utf-8\"", "application/json; charset=",
        ];
        var caller = Caller(withKey);
        foreach (var route in BodyRoutes())
        {
            foreach (var contentType in contentTypes)
            {
                // Routing refuses most of these before the key is looked at; the rest meet the key first.
                await ExpectAsync(caller, route, route.Path(), BodyOf(route), contentType, $"Content-Type '{contentType}'",
                    withKey ? [HttpStatusCode.UnsupportedMediaType] : [HttpStatusCode.UnsupportedMediaType, HttpStatusCode.Unauthorized]);
            }
        }

        AssertEveryAnswerAsExpected();
    }

    [Test]
    public async Task AMalformedJsonBody_Is400_SayingWhatWasWrong([Values] bool withKey)
    {
        var caller = Caller(withKey);
        foreach (var route in BodyRoutes())
        {
            foreach (var (what, body) in MalformedBodies())
            {
                await ExpectAsync(caller, route, route.Path(), body, Json, what, withKey ? [HttpStatusCode.BadRequest] : Unauthorized);
            }
        }

        AssertEveryAnswerAsExpected();
    }

    [Test]
    public async Task OddButReadableJson_IsServed([Values] bool withKey)
    {
        string[] bodies =
        [
            "{\"text\":\"hi\",\"unknown\":{\"deep\":[1,2,3]}}", "{\"text\":\"hi\",\"text\":\"again\"}", "{\"Text\":\"hi\"}",
            "\uFEFF{\"text\":\"hi\"}", " \r\n\t{\"text\":\"\\u0000\\u202e\\ud83d\\ude00\"} ",
        ];
        var caller = Caller(withKey);
        foreach (var route in BodyRoutes())
        {
            foreach (var body in bodies)
            {
                // 404: the sample connection does not exist.
                await ExpectAsync(caller, route, route.Path(), Encoding.UTF8.GetBytes(body), Json, body,
                    withKey ? [HttpStatusCode.Accepted, HttpStatusCode.NotFound] : Unauthorized);
            }
        }

        AssertEveryAnswerAsExpected();
    }

    [Test]
    public async Task ABodyOverTheServersLimit_Is413([Values] bool withKey)
    {
        // Just over Kestrel's MaxRequestBodySize (30,000,000 bytes); the message limit is met by the malformed bodies.
        var huge = Encoding.UTF8.GetBytes($"{{\"text\":\"{new string('x', 30_000_000)}\"}}");
        // The node answers without reading such a body and closes the connection; a client still sending
        // it would fail on a broken pipe before it read the answer, so this one waits to be asked.
        (string, string) expectContinue = ("Expect", "100-continue");
        await using var caller = withKey
            ? ApiClient.WithHeaders(NodeA, ("X-Api-Key", ApiClient.Key), expectContinue)
            : ApiClient.WithHeaders(NodeA, expectContinue);
        foreach (var route in BodyRoutes())
        {
            await ExpectAsync(caller, route, route.Path(), huge, Json, "a body of 30 MB",
                withKey ? [HttpStatusCode.RequestEntityTooLarge] : Unauthorized);
        }

        AssertEveryAnswerAsExpected();
    }

    [Test]
    public async Task ABadRouteValue_IsA4xx_AndAnOddOneNeverA5xx([Values] bool withKey)
    {
        string[] refusedByKestrel = ["%00", "user:%00"];
        string[] refused = ["%01", "%07bell", "%7F", "%C2%85", new string('g', 129), new string('g', 1000)];
        string[] odd =
        [
            "%2F", "a%2Fb", "%2E%2E", "%5C", "%20", "%25", "%3F", "%23", "%C3%A9", "%F0%9F%98%80", "%E2%80%AE", "%EF%BF%BF",
            "%FF", "%C0%AF", "a:b", "group:", "user:%01", new string('g', 128),
        ];
        var caller = Caller(withKey);
        foreach (var route in ApiRoute.Of(NodeA))
        {
            foreach (var parameter in route.Parameters)
            {
                foreach (var value in refusedByKestrel)
                {
                    // Kestrel refuses a NUL in a path itself, before the app and its problem details: an empty 400.
                    await ExpectAsync(caller, route, route.Path(parameter, value), BodyOf(route), Json, $"{{{parameter}}} = {value}",
                        [HttpStatusCode.BadRequest], problem: false);
                }

                foreach (var value in refused)
                {
                    // 404: an id with a control character names no connection, which is all an id must do.
                    await ExpectAsync(caller, route, route.Path(parameter, value), BodyOf(route), Json, $"{{{parameter}}} = {value}",
                        withKey ? [HttpStatusCode.BadRequest, HttpStatusCode.NotFound] : Unauthorized);
                }

                foreach (var value in odd)
                {
                    // Valid names, names the route refuses, or (dot segments) a path of another route.
                    await ExpectAsync(caller, route, route.Path(parameter, value), BodyOf(route), Json, $"{{{parameter}}} = {value}",
                        withKey ? Served : [HttpStatusCode.Unauthorized, HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed]);
                }
            }
        }

        AssertEveryAnswerAsExpected();
    }

    [Test]
    public async Task ABadQuery_Is400_OnTheHistoryRoute_AndChangesNothingElsewhere([Values] bool withKey)
    {
        string[] bad =
        [
            "after=-1", "after=18446744073709551616", "after=1e3", "after=0x10", "after=+1", "after=%00", "after=", "after",
            "after=%EF%BC%91", "after=1&after=2", "limit=abc", "limit=1000000", "limit=0", "limit=-1", "limit=%FF",
            "limit=99999999999999999999", "limit=1&limit=2", "limit=",
        ];
        // Valid or beside the point: the answer is the one without them. The largest offset once overflowed to a 500 on Redis.
        string[] harmless = [$"after={long.MaxValue}", "after=0&limit=1000", "x=%00", "&&&", "=", "%zz=1", "a=1=2", $"x={new string('q', 4000)}"];
        var caller = Caller(withKey);
        foreach (var route in ApiRoute.Of(NodeA))
        {
            using var baseline = await caller.SendContentAsync(new HttpMethod(route.Methods[0]), route.Path(), Content(BodyOf(route)), Json);
            var history = route.Pattern == ApiRoute.History;
            foreach (var query in bad.Concat(harmless))
            {
                var expected = withKey && history && bad.Contains(query) ? HttpStatusCode.BadRequest : baseline.StatusCode;
                await ExpectAsync(caller, route, $"{route.Path()}?{query}", BodyOf(route), Json, $"?{query}", [expected]);
            }
        }

        AssertEveryAnswerAsExpected();
    }

    [Test]
    public async Task AMissingOrWrongKey_Is401_OnEveryRoute()
    {
        (string Name, string Value)[][] credentials =
        [
            [],
            [("X-Api-Key", "wrong")],
            [("X-Api-Key", "")],
            [("X-Api-Key", ApiClient.Key.ToUpperInvariant())],
            [("X-Api-Key", ApiClient.Key[..^1])],
            [("X-Api-Key", ApiClient.Key + "x")],
            [("X-Api-Key", new string('k', 8000))],
            [("X-Api-Key", "wrong"), ("X-Api-Key", ApiClient.Key)],
            [("X-Api-Key", "wrong"), ("Authorization", $"Bearer {ApiClient.Key}")],
            [("Authorization", "Bearer")],
            [("Authorization", "Bearer ")],
            [("Authorization", "Bearer wrong")],
            [("Authorization", ApiClient.Key)],
            [("Authorization", $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes($"api:{ApiClient.Key}"))}")],
            [("Authorization", $"Bearer {ApiClient.Key}x")],
        ];
        foreach (var headers in credentials)
        {
            await using var caller = ApiClient.WithHeaders(NodeA, headers);
            var what = string.Join("; ", headers.Select(h => $"{h.Name}: {h.Value[..Math.Min(h.Value.Length, 40)]}"));
            foreach (var route in ApiRoute.Of(NodeA))
            {
                await ExpectAsync(caller, route, route.Path(), BodyOf(route), Json, what, Unauthorized);
            }
        }

        AssertEveryAnswerAsExpected();
    }

    [Test]
    public async Task AWrongMethod_Is405_AndAnUnknownRoute404([Values] bool withKey)
    {
        string[] methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO"];
        string[] unknown = ["/api/v1", "/api/v1/", "/api/v1/nope", "/api/v1/messages/extra", "/api/v1/streams/all", "/api/v1/groups/room"];
        var caller = Caller(withKey);
        foreach (var path in ApiRoute.Of(NodeA).GroupBy(r => r.Path()))
        {
            var allowed = path.SelectMany(r => r.Methods).ToHashSet();
            foreach (var method in methods.Where(m => !allowed.Contains(m)))
            {
                await ExpectAsync(caller, method, path.Key, null, null, "a method the route does not take", [HttpStatusCode.MethodNotAllowed]);
            }
        }

        foreach (var path in unknown)
        {
            foreach (var method in methods)
            {
                await ExpectAsync(caller, method, path, null, null, "no such route", [HttpStatusCode.NotFound]);
            }
        }

        AssertEveryAnswerAsExpected();
    }

    private ApiClient Caller(bool withKey) => withKey ? Api : Own(new ApiClient(NodeA, apiKey: null));

    private IEnumerable<ApiRoute> BodyRoutes() => ApiRoute.Of(NodeA).Where(r => r.TakesBody);

    private static byte[]? BodyOf(ApiRoute route) => route.TakesBody ? Encoding.UTF8.GetBytes(Hi) : null;

    private static ByteArrayContent? Content(byte[]? body) => body is null ? null : new ByteArrayContent(body);

    private static IEnumerable<(string What, byte[] Body)> MalformedBodies()
    {
        (string What, string Body)[] texts =
        [
            ("an unfinished object", "{\"text\":"), ("an open brace", "{"), ("an empty body", ""), ("whitespace", " \r\n "),
            ("null", "null"), ("an array", "[\"hi\"]"), ("an empty array", "[]"), ("a string", "\"hi\""), ("a number", "5"),
            ("no text", "{}"), ("a null text", "{\"text\":null}"), ("a number for text", "{\"text\":5}"), ("a bool for text", "{\"text\":true}"),
            ("an object for text", "{\"text\":{}}"), ("an array for text", "{\"text\":[\"a\"]}"), ("only unknown properties", "{\"nottext\":\"x\"}"),
            ("deep nesting in text", $"{{\"text\":{new string('[', 10_000)}{new string(']', 10_000)}}}"), ("deep nesting", new string('[', 100_000)),
            ("a lone surrogate", "{\"text\":\"\\ud800\"}"), ("trailing garbage", Hi + " x"), ("two documents", Hi + Hi),
            ("a raw control character", "{\"text\":\"a\u0000b\"}"), ("a comment", "{/**/\"text\":\"hi\"}"), ("a trailing comma", "{\"text\":\"hi\",}"),
            ("single quotes", "{'text':'hi'}"), ("a huge exponent", "{\"text\":1e999999}"), ("XML", "<text>hi</text>"),
            ("a text over the limit", $"{{\"text\":\"{new string('x', 32_769)}\"}}"),
        ];
        foreach (var (what, body) in texts)
        {
            yield return (what, Encoding.UTF8.GetBytes(body));
        }

        yield return ("invalid UTF-8", [.. "{\"text\":\""u8, 0xFF, 0xFE, 0xC3, .. "\"}"u8]);
        yield return ("an overlong UTF-8 encoding", [.. "{\"text\":\""u8, 0xC0, 0xAF, .. "\"}"u8]);
    }

    private async Task ExpectAsync(
        ApiClient caller, ApiRoute route, string path, byte[]? body, string? contentType, string what, HttpStatusCode[] expected, bool problem = true)
    {
        foreach (var method in route.Methods)
        {
            await ExpectAsync(caller, method, path, body, contentType, what, expected, problem);
        }
    }

    /// <summary>
    /// Sends one request and notes it when the answer is not one of <paramref name="expected"/>, or is an
    /// error but (unless <paramref name="problem"/> is false) not a problem that says what.
    /// </summary>
    private async Task ExpectAsync(
        ApiClient caller, string method, string path, byte[]? body, string? contentType, string what, HttpStatusCode[] expected, bool problem = true)
    {
        using var response = await caller.SendContentAsync(new HttpMethod(method), path, Content(body), contentType);
        // A HEAD answer has no body to be a problem.
        var wrong = await WhatIsWrongAsync(response, expected, problem && method != "HEAD");
        if (wrong is not null)
        {
            _misanswered.Add($"{method} {path[..Math.Min(path.Length, 120)]} ({what[..Math.Min(what.Length, 80)]}): {wrong}");
        }
    }

    private static async Task<string?> WhatIsWrongAsync(HttpResponseMessage response, HttpStatusCode[] expected, bool problem)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync().Within();
        var excerpt = body[..Math.Min(body.Length, 300)];
        if (!expected.Contains(response.StatusCode))
        {
            return $"{(status >= 500 ? "a 5xx, " : "")}{status}, not {string.Join(" or ", expected.Select(s => (int)s))}: {excerpt}";
        }

        if (status < 400 || !problem)
        {
            return null;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} is not an application/problem+json: {excerpt}";
        }

        using var document = JsonDocument.Parse(body);
        var detail = document.RootElement.TryGetProperty("detail", out var value) ? value.GetString() : null;
        return response.StatusCode switch
        {
            HttpStatusCode.UnsupportedMediaType when detail?.Contains("application/json", StringComparison.Ordinal) != true =>
                $"415 whose detail does not say application/json: {excerpt}",
            HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.RequestEntityTooLarge when string.IsNullOrEmpty(detail) =>
                $"{status} without a detail: {excerpt}",
            HttpStatusCode.Unauthorized when response.Headers.WwwAuthenticate.Count == 0 => "401 without WWW-Authenticate",
            _ => null,
        };
    }

    private void AssertEveryAnswerAsExpected() =>
        Assert.That(_misanswered, Is.Empty, $"{_misanswered.Count} requests misanswered:\n{string.Join('\n', _misanswered.Take(60))}");
}
