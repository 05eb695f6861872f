using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hub.Server.Api;

/// <summary>Tells OpenAPI readers that the <c>/api/v1</c> routes take an API key, in either of its two headers.</summary>
internal sealed class ApiKeySecurityTransformer : IOpenApiDocumentTransformer
{
    public const string HeaderScheme = "ApiKey";
    private const string BearerScheme = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[HeaderScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyFilter.HeaderName,
            Description = "One of Hub:Api:Keys.",
        };
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "One of Hub:Api:Keys, as 'Authorization: Bearer <key>'.",
        };

        // Either scheme will do: two requirements, not one with both.
        var operations = document.Paths
            .Where(path => path.Key.StartsWith(ApiServiceCollectionExtensions.Prefix, StringComparison.Ordinal))
            .SelectMany(path => path.Value.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>());
        foreach (var operation in operations)
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(HeaderScheme, document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] },
            ];
        }

        return Task.CompletedTask;
    }
}
