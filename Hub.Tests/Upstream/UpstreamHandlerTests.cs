using System.Diagnostics;
using System.Text.Json;
using Hub.Server.Handlers;
using Hub.Server.Upstream;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Hub.Tests.Upstream;

/// <summary>
/// The upstream handler of a real node against a real backend (<see cref="WebhookBackend"/>): what
/// each event posts, how each answer decides, and what happens when the backend is slow, dead or
/// answers what cannot be followed. The hooks that call the handler are tested end to end elsewhere.
/// </summary>
public sealed class UpstreamHandlerTests
{
    private const string Secret = "a secret the node and its backend share";

    private CapturingLoggerProvider _logs = null!;
    private WebhookBackend _backend = null!;
    private TestNode? _node;

    [SetUp]
    public async Task StartBackend()
    {
        _logs = new CapturingLoggerProvider();
        _backend = await WebhookBackend.StartAsync(Secret).Within();
    }

    [TearDown]
    public async Task Stop()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
            _node = null;
        }

        await _backend.DisposeAsync().AsTask().Within();
    }

    [Test]
    public async Task EachEvent_IsPostedToItsUrl_WithItsBodyAndHeaders_SignedWithTheSecret()
    {
        var handler = await HandlerAsync();

        await handler.OnConnectedAsync(Connect(("user", "alice"), ("room", "1"), ("access_token", "a-token")), default).AsTask().Within();
        await handler.OnMessageAsync(new MessageContext("c-1", "alice", "group:g", "chat", Json("""{"text":"hi","n":[1,2.5]}""")), default).AsTask().Within();
        await handler.OnJoinAsync(new JoinContext("c-1", "alice", "g"), default).AsTask().Within();
        await handler.OnCallAsync(new CallContext("c-1", null, "add", Json("[1,2]")), default).AsTask().Within();
        await handler.OnDisconnectedAsync(new DisconnectContext("c-1", "alice", _node!.NodeId), default).AsTask().Within();
        await _backend.WaitForAsync("disconnect");

        Assert.Multiple(() =>
        {
            AssertBody("connect", $$"""{"connectionId":"c-1","user":"alice","query":{"user":"alice","room":"1"},"node":"{{_node.NodeId}}"}""");
            AssertBody("message", """{"connectionId":"c-1","user":"alice","to":"group:g","event":"chat","data":{"text":"hi","n":[1,2.5]}}""");
            AssertBody("join", """{"connectionId":"c-1","user":"alice","group":"g"}""");
            AssertBody("call", """{"connectionId":"c-1","user":null,"method":"add","data":[1,2]}""");
            AssertBody("disconnect", $$"""{"connectionId":"c-1","user":"alice","node":"{{_node.NodeId}}"}""");
            foreach (var received in _backend.All)
            {
                Assert.That(received.SignatureValid, $"{received.Event}: X-Hub-Signature-256 is the HMAC-SHA256 of the body with the secret");
                Assert.That(received.Headers["X-Hub-Event"], Is.EqualTo(received.Event));
                Assert.That(received.Headers["Content-Type"], Does.StartWith("application/json"));
                Assert.That(Guid.TryParse(received.Delivery, out _), $"{received.Event}: X-Hub-Delivery is an id ({received.Delivery})");
            }

            Assert.That(_backend.All.Select(r => r.Delivery).Distinct().Count(), Is.EqualTo(5), "each delivery has its own id");
        });
    }

    [Test]
    public async Task AWrongSecret_FailsTheBackendsCheck_AndItsRefusalIsTheError()
    {
        var handler = await HandlerAsync(new() { ["Hub:Upstream:Secret"] = "not the backend's secret" });

        var decision = await handler.OnJoinAsync(new JoinContext("c-1", "alice", "g"), default).AsTask().Within();

        Assert.That((await _backend.WaitForAsync("join")).SignatureValid, Is.False);
        Assert.That(decision.Allowed, Is.False);
        Assert.That(decision.Reason, Is.EqualTo("The signature does not match."));
    }

    [Test]
    public async Task AConnectAnswer_SetsTheUserAndGroups_AndAnEmptyOneAllowsAsItIs()
    {
        var handler = await HandlerAsync();

        _backend.On("connect", r => r.Json.GetProperty("query").TryGetProperty("room", out _)
            ? Results.Json(new { user = "bob", groups = new[] { "room-1", "lobby" } })
            : Results.NoContent());
        var set = await handler.OnConnectedAsync(Connect(("room", "1")), default).AsTask().Within();
        var asItIs = await handler.OnConnectedAsync(Connect(), default).AsTask().Within();

        Assert.Multiple(() =>
        {
            Assert.That(set.Allowed && asItIs.Allowed);
            Assert.That(set.User, Is.EqualTo("bob"));
            Assert.That(set.Groups, Is.EqualTo(new[] { "room-1", "lobby" }));
            Assert.That(asItIs.User, Is.Null);
            Assert.That(asItIs.Groups, Is.Null);
        });
    }

    [Test]
    public async Task AMessageAnswer_ReplacesItsEventAndData_AndAnEmptyOneAllowsAsItIs()
    {
        var handler = await HandlerAsync();

        _backend.On("message", r => r.Json.GetProperty("event").GetString() == "chat"
            ? Results.Json(new { @event = "chat.clean", data = new { text = "***" } })
            : Results.Ok());
        var replaced = await handler.OnMessageAsync(new MessageContext("c-1", "alice", "all", "chat", Json("""{"text":"darn"}""")), default).AsTask().Within();
        var asItIs = await handler.OnMessageAsync(new MessageContext("c-1", "alice", "all", "typing", Json("true")), default).AsTask().Within();

        Assert.Multiple(() =>
        {
            Assert.That(replaced.Allowed && asItIs.Allowed);
            Assert.That(replaced.Event, Is.EqualTo("chat.clean"));
            Assert.That(replaced.Data?.GetRawText(), Is.EqualTo("""{"text":"***"}"""));
            Assert.That(asItIs.Event, Is.Null);
            Assert.That(asItIs.Data, Is.Null);
        });
    }

    [Test]
    public async Task ACallAnswer_IsTheResult_AndAnEmptyOneIsNull()
    {
        var handler = await HandlerAsync();

        _backend.On("call", r => r.Json.GetProperty("method").GetString() == "add"
            ? Results.Json(r.Json.GetProperty("data").EnumerateArray().Sum(n => n.GetInt32()))
            : Results.NoContent());
        var sum = await handler.OnCallAsync(new CallContext("c-1", "alice", "add", Json("[1,2,3]")), default).AsTask().Within();
        var nothing = await handler.OnCallAsync(new CallContext("c-1", "alice", "ping", Json("null")), default).AsTask().Within();

        Assert.Multiple(() =>
        {
            Assert.That(sum.Answered && nothing.Answered);
            Assert.That(sum.Result.GetRawText(), Is.EqualTo("6"));
            Assert.That(nothing.Result.ValueKind, Is.EqualTo(JsonValueKind.Null));
        });
    }

    [Test]
    public async Task A4xx_Refuses_WithItsProblemDetail_OrItsText()
    {
        var handler = await HandlerAsync();

        _backend.On("connect", _ => Results.Problem(statusCode: 403, title: "Forbidden", detail: "alice is banned"));
        _backend.On("message", _ => Results.Text("too many links", statusCode: 422));
        _backend.On("join", _ => Results.StatusCode(404));
        _backend.On("call", _ => Results.Problem(statusCode: 400, title: "No such method"));
        var connect = await handler.OnConnectedAsync(Connect(), default).AsTask().Within();
        var message = await handler.OnMessageAsync(new MessageContext("c-1", null, "all", "chat", Json("1")), default).AsTask().Within();
        var join = await handler.OnJoinAsync(new JoinContext("c-1", null, "g"), default).AsTask().Within();
        var call = await handler.OnCallAsync(new CallContext("c-1", null, "m", Json("1")), default).AsTask().Within();

        Assert.Multiple(() =>
        {
            Assert.That(connect.Allowed || message.Allowed || join.Allowed || call.Answered, Is.False);
            Assert.That(connect.Reason, Is.EqualTo("alice is banned"));
            Assert.That(message.Reason, Is.EqualTo("too many links"));
            Assert.That(join.Reason, Is.EqualTo("refused by the application (404)"));
            Assert.That(call.Reason, Is.EqualTo("No such method"));
        });
    }

    [Test]
    public async Task ASlowBackend_TimesOut_AndTheEventIsRefusedAsUnavailable()
    {
        var handler = await HandlerAsync();
        NeverAnswer("join");

        var clock = Stopwatch.StartNew();
        var decision = await handler.OnJoinAsync(new JoinContext("c-1", "alice", "g"), default).AsTask().Within();

        Assert.That(clock.Elapsed, Is.InRange(TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5)), "Hub:Upstream:TimeoutSeconds is 1");
        Assert.That(decision.Reason, Is.EqualTo("upstream unavailable"));
        Assert.That(_logs.Warnings, Has.Some.Contains("did not answer join of connection c-1 within 1 s"));
    }

    [Test]
    public async Task ADeadBackend_RefusesEveryEvent_AsUnavailable()
    {
        var handler = await HandlerAsync(url: DeadUrl());

        var connect = await handler.OnConnectedAsync(Connect(), default).AsTask().Within();
        var message = await handler.OnMessageAsync(new MessageContext("c-1", null, "all", "chat", Json("1")), default).AsTask().Within();
        var join = await handler.OnJoinAsync(new JoinContext("c-1", null, "g"), default).AsTask().Within();
        var call = await handler.OnCallAsync(new CallContext("c-1", null, "m", Json("1")), default).AsTask().Within();

        Assert.That(new[] { connect.Reason, message.Reason, join.Reason, call.Reason }, Is.All.EqualTo("upstream unavailable"));
        Assert.That(_logs.Warnings, Has.Some.Contains("could not be reached for connect of connection c-1"));
        Assert.That(_logs.Entries.Where(e => e.Exception is not null), Is.Empty, "a backend that is down is a line in the log, not a stack");
    }

    [Test]
    public async Task ADeadBackend_WithFailOpen_AllowsConnectMessageAndJoin_ButNeverACall()
    {
        var handler = await HandlerAsync(new() { ["Hub:Upstream:FailOpen"] = "true" }, DeadUrl());

        var connect = await handler.OnConnectedAsync(Connect(("user", "alice")), default).AsTask().Within();
        var message = await handler.OnMessageAsync(new MessageContext("c-1", null, "all", "chat", Json("1")), default).AsTask().Within();
        var join = await handler.OnJoinAsync(new JoinContext("c-1", null, "g"), default).AsTask().Within();
        var call = await handler.OnCallAsync(new CallContext("c-1", null, "m", Json("1")), default).AsTask().Within();

        Assert.Multiple(() =>
        {
            Assert.That(connect.Allowed && message.Allowed && join.Allowed);
            Assert.That((connect.User, message.Event, message.Data), Is.EqualTo(((string?)null, (string?)null, (JsonElement?)null)), "allowed as it came");
            Assert.That(call.Answered, Is.False);
            Assert.That(call.Reason, Is.EqualTo("upstream unavailable"));
        });
    }

    [Test]
    public async Task ABackendThatKeepsTimingOut_OpensTheCircuit_AndLaterEventsFailFast_WithoutARequest()
    {
        var handler = await HandlerAsync();
        NeverAnswer("message");

        // Five timeouts in a row: the fewest that can open the circuit.
        var first = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            handler.OnMessageAsync(new MessageContext($"c-{i}", null, "all", "chat", Json("1")), default).AsTask())).Within();
        var clock = Stopwatch.StartNew();
        var later = await handler.OnMessageAsync(new MessageContext("c-9", null, "all", "chat", Json("1")), default).AsTask().Within();

        Assert.Multiple(() =>
        {
            Assert.That(first.Select(d => d.Reason), Is.All.EqualTo("upstream unavailable"));
            Assert.That(later.Reason, Is.EqualTo("upstream unavailable"));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(500)), "no wait for the 1 s timeout once the circuit is open");
            Assert.That(_backend.Of("message"), Has.Count.EqualTo(5), "no request while the circuit is open");
            Assert.That(_logs.Warnings, Has.Some.Contains("its circuit is open"));
            Assert.That(_logs.Entries.Where(e => e.Exception is not null), Is.Empty, "a backend that is down is a line in the log, not a stack");
        });
    }

    [Test]
    public async Task ADisconnect_WaitsForNothing_AndIsRetriedAfterA5xx_UntilDelivered()
    {
        var handler = await HandlerAsync();
        var answers = 0;
        _backend.On("disconnect", _ => Interlocked.Increment(ref answers) == 1 ? Results.StatusCode(503) : Results.Ok());

        var told = handler.OnDisconnectedAsync(new DisconnectContext("c-1", "alice", "node-u"), default);
        var delivered = await _backend.WaitForAsync("disconnect", 2);

        Assert.That(told.IsCompletedSuccessfully, "the caller does not wait for the backend");
        Assert.That(delivered.Delivery, Is.EqualTo(_backend.Of("disconnect")[0].Delivery), "a retry is the same delivery");
        Assert.That(delivered.SignatureValid);
    }

    [TestCase("connect", "text/html", "<html><body>Welcome</body></html>")]
    [TestCase("connect", "application/json", """{"groups":"lobby"}""")]
    [TestCase("connect", "application/json", """{"user":42}""")]
    [TestCase("message", "application/json", "[1,2]")]
    [TestCase("message", "application/json", """{"event":"x","data":""")]
    [TestCase("call", "text/plain", "forty-two")]
    public async Task AnAnswerThatIsNotTheEventsShape_RefusesWithAClearError_EvenWithFailOpen(string @event, string contentType, string body)
    {
        var handler = await HandlerAsync(new() { ["Hub:Upstream:FailOpen"] = "true" });
        _backend.On(@event, _ => Results.Text(body, contentType));

        var reason = @event switch
        {
            "connect" => (await handler.OnConnectedAsync(Connect(), default).AsTask().Within()).Reason,
            "message" => (await handler.OnMessageAsync(new MessageContext("c-1", null, "all", "chat", Json("1")), default).AsTask().Within()).Reason,
            _ => (await handler.OnCallAsync(new CallContext("c-1", null, "m", Json("1")), default).AsTask().Within()).Reason,
        };

        Assert.That(reason, Is.EqualTo("upstream answered in a way Hub cannot follow"));
        Assert.That(_logs.Warnings, Has.Some.Contains($"answered {@event} of connection c-1 with a 2xx whose body Hub cannot read"));
    }

    [Test]
    public async Task ARedirect_IsNotFollowed_AndRefuses()
    {
        var handler = await HandlerAsync();
        _backend.On("join", _ => Results.Redirect("/elsewhere"));

        var decision = await handler.OnJoinAsync(new JoinContext("c-1", null, "g"), default).AsTask().Within();

        Assert.That(decision.Reason, Is.EqualTo("upstream answered in a way Hub cannot follow"));
        Assert.That(_backend.All, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task AnEventNotListed_IsAllowedWithoutARequest_AndACallNotListed_HasNoMethod()
    {
        var handler = await HandlerAsync(new() { ["Hub:Upstream:Events"] = "message, join" });

        var connect = await handler.OnConnectedAsync(Connect(), default).AsTask().Within();
        var call = await handler.OnCallAsync(new CallContext("c-1", null, "add", Json("1")), default).AsTask().Within();
        await handler.OnDisconnectedAsync(new DisconnectContext("c-1", null, "node-u"), default).AsTask().Within();
        await handler.OnJoinAsync(new JoinContext("c-1", null, "g"), default).AsTask().Within();

        Assert.That(connect.Allowed);
        Assert.That(call.Reason, Is.EqualTo("There is no method 'add'."));
        Assert.That(_backend.All.Select(r => r.Event), Is.EqualTo(new[] { "join" }));
    }

    [Test]
    public async Task EachOutcome_IsCounted_ByEvent_AndEachRequestTimed()
    {
        var handler = await HandlerAsync();
        _backend.On("message", _ => Results.Problem(statusCode: 403, detail: "no"));
        _backend.On("join", _ => Results.Text("<html>", "text/html"));
        _backend.On("call", _ => Results.StatusCode(503));

        await handler.OnConnectedAsync(Connect(), default).AsTask().Within();
        await handler.OnMessageAsync(new MessageContext("c-1", null, "all", "chat", Json("1")), default).AsTask().Within();
        await handler.OnJoinAsync(new JoinContext("c-1", null, "g"), default).AsTask().Within();
        await handler.OnCallAsync(new CallContext("c-1", null, "m", Json("1")), default).AsTask().Within();

        using var http = new HttpClient { BaseAddress = _node!.BaseUrl, Timeout = Bounded.Default };
        var text = "";
        await Bounded.UntilAsync(async () =>
        {
            text = await http.GetStringAsync("/metrics");
            return text.Contains("outcome=\"unavailable\"");
        }, "the call's outcome in /metrics");

        Assert.Multiple(() =>
        {
            foreach (var (@event, outcome) in new[] { ("connect", "allowed"), ("message", "refused"), ("join", "invalid"), ("call", "unavailable") })
            {
                Assert.That(text, Does.Match($@"hub_upstream_requests_total\{{[^}}]*event=""{@event}""[^}}]*outcome=""{outcome}""[^}}]*\}} 1\b"), $"{@event}: {outcome}");
                Assert.That(text, Does.Match($@"hub_upstream_duration_seconds_count\{{[^}}]*event=""{@event}""[^}}]*\}} 1\b"), $"{@event} timed");
            }
        });
    }

    [TestCase("Hub:Upstream:Url", "ftp://backend/hooks", "must be an absolute http:// or https:// URL")]
    [TestCase("Hub:Upstream:Secret", "", "is required with Hub:Upstream:Url")]
    [TestCase("Hub:Upstream:Events", "connect,open", "('connect,open') must be any of connect, message, join, disconnect, call")]
    [TestCase("Hub:Upstream:TimeoutSeconds", "0", "(0) must be between 1 and 300")]
    public void AnInvalidSetting_StopsTheNodeAtStart_NamingTheKey(string key, string value, string problem)
    {
        var settings = new Dictionary<string, string?> { ["Hub:Upstream:Url"] = "http://127.0.0.1:9/hooks", ["Hub:Upstream:Secret"] = Secret, [key] = value };

        var error = Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestNode.StartAsync("node-x", settings));

        Assert.That(error!.Message, Does.Contain(key).And.Contain(problem));
    }

    [Test]
    public async Task WithoutAUrl_ThereIsNoHandler()
    {
        _node = await TestNode.StartAsync("node-u", new Dictionary<string, string?> { ["Hub:Upstream:Secret"] = Secret });

        Assert.That(_node.Services.GetService<IHubHandler>(), Is.Null);
    }

    private async Task<IHubHandler> HandlerAsync(Dictionary<string, string?>? settings = null, Uri? url = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Hub:Upstream:Url"] = (url ?? _backend.Url).ToString(),
            ["Hub:Upstream:Secret"] = Secret,
            ["Hub:Upstream:TimeoutSeconds"] = "1",
            ["Logging:LogLevel:Hub.Server.Upstream"] = "Debug",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        _node = await TestNode.StartAsync("node-u", all, logs: _logs);
        var handler = _node.Services.GetRequiredService<IHubHandler>();
        Assert.That(handler, Is.InstanceOf<UpstreamHubHandler>());
        return handler;
    }

    // Until Hub gives up waiting.
    private void NeverAnswer(string @event) => _backend.On(@event, async r =>
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, r.Aborted);
        return Results.Ok();
    });

    private void AssertBody(string @event, string expected)
    {
        var received = _backend.Of(@event);
        Assert.That(received, Has.Count.EqualTo(1), $"one {@event} request");
        Assert.That(received.FirstOrDefault()?.Body is { } body ? System.Text.Encoding.UTF8.GetString(body) : null, Is.EqualTo(expected));
    }

    private static ConnectContext Connect(params (string Key, string Value)[] query) =>
        new("c-1", query.FirstOrDefault(q => q.Key == "user").Value, new QueryCollection(query.ToDictionary(q => q.Key, q => new StringValues(q.Value))), "node-u", null);

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    // A port nothing listens on: every connection is refused at once.
    private static Uri DeadUrl() => new($"http://127.0.0.1:{Ports.Free()}/hooks");
}
