using System.Text.Json;
using Hub.Client.Internal;
using Hub.Server.Core;
using Microsoft.Extensions.Options;

namespace Hub.Server.Limits;

/// <summary>The rules every message's data must pass, for the hub and the HTTP API alike (names: <see cref="NameRules"/>).</summary>
internal sealed class InputRules(IOptions<LimitsOptions> options)
{
    private readonly int _maxMessageBytes = options.Value.MaxMessageBytes;

    /// <summary>The data of a message sent as text: the text, as a JSON string.</summary>
    public static JsonElement TextData(string? text)
    {
        if (text is null)
        {
            throw HubRequestException.Invalid("The message text is missing (null); send a string, empty is allowed.");
        }

        try
        {
            return JsonData.FromText(text);
        }
        catch (ArgumentException)
        {
            throw HubRequestException.Invalid(DataFormatException.NotUnicode().Message);
        }
    }

    /// <summary>
    /// A value (not null), within the depth and number rules every client can carry, and at most
    /// <c>Hub:Limits:MaxMessageBytes</c> as UTF-8 JSON, counted as JSON.stringify writes it.
    /// </summary>
    public void ValidateData(JsonElement data)
    {
        if (JsonData.Check(data, out var size) is { } problem)
        {
            throw HubRequestException.Invalid(problem);
        }

        if (size > _maxMessageBytes)
        {
            throw HubRequestException.Invalid(
                $"The message's data is {size} bytes as UTF-8 JSON; the limit is {_maxMessageBytes} (Hub:Limits:MaxMessageBytes).");
        }
    }
}
