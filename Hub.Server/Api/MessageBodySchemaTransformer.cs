using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hub.Server.Api;

/// <summary>
/// Says in the OpenAPI document what the framework cannot tell from the types: a send's body is
/// <c>{ event, data }</c> or <c>{ text }</c>, and message data is any JSON value.
/// </summary>
internal sealed class MessageBodySchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(JsonElement))
        {
            schema.Description = "Any JSON value: an object, array, string, number or boolean.";
        }
        else if (type == typeof(SendMessageRequest) && schema.Properties is { } properties)
        {
            schema.Description = "Either { event, data } (event optional; data any JSON value but null) or { text }: one of data and text, not both. " +
                "The size limit (Hub:Limits:MaxMessageBytes) is over data's UTF-8 JSON.";
            Describe(properties, "event", "The event name: 1 to 128 characters, no control characters; \"message\" when not given.");
            Describe(properties, "text", "Shorthand for a string as data (event \"message\" unless given); empty is allowed.");
        }

        return Task.CompletedTask;
    }

    private static void Describe(IDictionary<string, IOpenApiSchema> properties, string name, string description)
    {
        if (properties.TryGetValue(name, out var property) && property is OpenApiSchema inline)
        {
            inline.Description = description;
        }
    }
}
