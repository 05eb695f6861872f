using Scalar.AspNetCore;

namespace Hub.Server.Api;

/// <summary>
/// An interactive reference of the API at <c>/docs</c> (Scalar), over the node's own OpenAPI
/// document, when <c>Hub:Api:Docs</c> is true. It runs where the browser may have no internet: the
/// package serves its script from the node, and everything that would reach Scalar's servers
/// (fonts, telemetry, its AI chat and MCP) is off.
/// </summary>
internal static class ApiDocs
{
    public const string Path = "/docs";

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapScalarApiReference(Path, options => options
            .WithTitle("Hub API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            // Its Share and Deploy buttons would send the API's map to Scalar's services.
            .HideDeveloperTools()
            // The key goes in X-Api-Key unless the reader picks the bearer form.
            .AddPreferredSecuritySchemes([ApiKeySecurityTransformer.HeaderScheme]));
        return app;
    }
}
