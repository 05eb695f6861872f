using Hub.Server.Core;
using Microsoft.Extensions.Options;

namespace Hub.Server.Api;

internal static partial class ApiServiceCollectionExtensions
{
    public const string Prefix = "/api/v1";

    public static WebApplicationBuilder AddHubApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.Section)
            .Require(o => o.Keys.All(k => !string.IsNullOrWhiteSpace(k)),
                o => $"Hub:Api:Keys:{o.Keys.FindIndex(string.IsNullOrWhiteSpace)} is empty: remove it, or give it a value.")
            .Require(o => o.RequestsPerSecond > 0, o => $"Hub:Api:RequestsPerSecond ({o.RequestsPerSecond}) must be greater than 0.")
            .ValidateOnStart();
        // One instance for the node: it holds the keys' hashes and their rate buckets (a filter
        // added by type would be created anew for every request).
        services.AddSingleton<ApiKeyFilter>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ExplainRoutingRefusal);
        services.AddOpenApi(o => o
            .AddDocumentTransformer<ApiKeySecurityTransformer>()
            .AddSchemaTransformer<MessageBodySchemaTransformer>());
        return builder;
    }

    public static WebApplication MapHubApi(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.Docs)
        {
            app.MapApiDocs();
        }

        // What the framework refuses with an empty body (an unknown route, a wrong method, a body
        // that is not JSON) is answered as a problem too, like every other API error.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Prefix), branch => branch.UseStatusCodePages());

        // The error filter wraps the key filter, which wraps every route.
        var api = app.MapGroup(Prefix)
            .AddEndpointFilter<ApiErrorFilter>()
            .AddEndpointFilter(app.Services.GetRequiredService<ApiKeyFilter>())
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .WithTags("Hub API");
        api.MapMessages();
        api.MapGroups();
        api.MapConnections();
        api.MapPresence();
        api.MapStreams();

        if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.Keys.Count == 0)
        {
            Log.NoKeys(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiServiceCollectionExtensions)));
        }

        return app;
    }

    /// <summary>
    /// Routing answers a body of another content type with its own 415 before any filter runs (the
    /// send routes' Accepts metadata), and status code pages write it with no detail: say what is expected.
    /// </summary>
    private static void ExplainRoutingRefusal(ProblemDetailsContext context)
    {
        if (context.ProblemDetails is { Status: StatusCodes.Status415UnsupportedMediaType, Detail: null }
            && context.HttpContext.Request.Path.StartsWithSegments(Prefix))
        {
            context.ProblemDetails.Detail = SendMessageRequest.JsonExpected;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "No API keys are configured (Hub:Api:Keys): the HTTP API at " + Prefix + " answers 401 to every request.")]
        public static partial void NoKeys(ILogger logger);
    }
}
