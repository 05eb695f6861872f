using Hub.Server.Core;
using Hub.Server.Handlers;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Telemetry;
using Polly.Timeout;

namespace Hub.Server.Upstream;

internal static partial class UpstreamServiceCollectionExtensions
{
    private const string PipelineName = "upstream";

    /// <summary>
    /// <c>Hub:Upstream</c>: with a URL, the backend is the node's <see cref="IHubHandler"/> unless the
    /// application registered its own; without one, nothing is registered and nothing runs.
    /// </summary>
    public static WebApplicationBuilder AddHubUpstream(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (string.IsNullOrWhiteSpace(configuration[$"{UpstreamOptions.Section}:{nameof(UpstreamOptions.Url)}"]))
        {
            return builder;
        }

        var services = builder.Services;
        services.AddOptions<UpstreamOptions>()
            .BindConfiguration(UpstreamOptions.Section)
            .PostConfigure(o =>
            {
                // Events as a list (Hub__Upstream__Events__0=connect) or in one value (Hub__Upstream__Events=connect,message).
                var inOne = configuration[$"{UpstreamOptions.Section}:{nameof(UpstreamOptions.Events)}"];
                o.Events = [.. o.Events.Append(inOne ?? "").SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct()];
            })
            .Require(o => Uri.TryCreate(o.Url, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps) && url.Query.Length == 0,
                o => $"Hub:Upstream:Url ('{o.Url}') must be an absolute http:// or https:// URL without a query: the backend's base address, to which /{{event}} is added.")
            .Require(o => !string.IsNullOrEmpty(o.Secret),
                _ => "Hub:Upstream:Secret is required with Hub:Upstream:Url: the backend checks each request's X-Hub-Signature-256 with it.")
            .Require(o => o.Events.All(UpstreamEvents.All.Contains),
                o => $"Hub:Upstream:Events ('{string.Join(',', o.Events)}') must be any of {string.Join(", ", UpstreamEvents.All)}.")
            .Require(o => o.TimeoutSeconds is >= 1 and <= 300,
                o => $"Hub:Upstream:TimeoutSeconds ({o.TimeoutSeconds}) must be between 1 and 300.")
            .ValidateOnStart();

        var http = services.AddHttpClient(UpstreamClient.HttpClientName, (provider, http) =>
            {
                http.BaseAddress = provider.GetRequiredService<IOptions<UpstreamOptions>>().Value.BaseAddress;
                // The pipeline's timeout rules, per attempt; this one would cut a disconnect's retries short.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            // A redirected POST becomes a GET, and a cookie set for one user would go with every user's events.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
            // The factory's own logging writes four lines at Information for every request, that is
            // for every message; the client logs each failure in a line of its own instead.
            .RemoveAllLoggers();
        http.AddResilienceHandler(PipelineName, ConfigurePipeline);
        // Polly logs each of the pipeline's events, with the exception's stack; the client says what
        // an operator needs in one line of its own. Other pipelines of the application are left as they are.
        services.Configure<TelemetryOptions>(telemetry =>
        {
            var theirs = telemetry.SeverityProvider;
            telemetry.SeverityProvider = args => args.Source.PipelineName?.StartsWith(UpstreamClient.HttpClientName, StringComparison.Ordinal) == true
                ? ResilienceEventSeverity.None
                : theirs?.Invoke(args) ?? args.Event.Severity;
        });
        // Within the pipeline, so that each attempt's timeout covers the whole answer.
        http.AddHttpMessageHandler(() => new AnswerBuffering());
        services.AddSingleton<UpstreamMetrics>();
        services.AddSingleton<UpstreamClient>();
        services.AddSingleton<DisconnectDeliveries>();
        services.AddHostedService(provider => provider.GetRequiredService<DisconnectDeliveries>());
        services.TryAddSingleton<IHubHandler, UpstreamHubHandler>();
        return builder;
    }

    /// <summary>
    /// Outermost first: retries (of <c>disconnect</c> only), the circuit breaker, and each attempt's
    /// timeout. The breaker is shared by every event: once half the requests of the last 30 s (at
    /// least 5) found the backend unavailable, every event fails fast for 5 s instead of waiting out
    /// its timeout, then one request tries again.
    /// </summary>
    private static void ConfigurePipeline(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ResilienceHandlerContext context)
    {
        var options = context.ServiceProvider.GetRequiredService<IOptions<UpstreamOptions>>().Value;
        var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UpstreamClient));
        var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);

        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(
                args.Context.GetRequestMessage()?.Headers.TryGetValues(UpstreamClient.EventHeader, out var e) == true && e.Contains(UpstreamEvents.Disconnect)
                && (IsUnavailable(args.Outcome) || args.Outcome.Exception is BrokenCircuitException)),
            MaxRetryAttempts = 4,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromSeconds(1),
            UseJitter = true,
        });
        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(IsUnavailable(args.Outcome)),
            FailureRatio = 0.5,
            MinimumThroughput = 5,
            SamplingDuration = TimeSpan.FromSeconds(Math.Max(30, 2 * options.TimeoutSeconds)),
            BreakDuration = TimeSpan.FromSeconds(5),
            OnOpened = args =>
            {
                Log.CircuitOpened(logger, args.BreakDuration.TotalSeconds);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                Log.CircuitClosed(logger);
                return ValueTask.CompletedTask;
            },
        });
        pipeline.AddTimeout(timeout);
    }

    // What the contract calls unavailable: no answer in time, no connection, or a 5xx.
    private static bool IsUnavailable(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException or TimeoutRejectedException || (int?)outcome.Result?.StatusCode >= 500;

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Warning, "Upstream unavailable for half the recent events: its circuit is open, and events fail fast for {Seconds} s before one tries again.")]
        public static partial void CircuitOpened(ILogger logger, double seconds);

        [LoggerMessage(11, LogLevel.Information, "Upstream answers again: its circuit is closed.")]
        public static partial void CircuitClosed(ILogger logger);
    }
}
