using System.Text;
using Hub.Server.Core;
using Microsoft.Extensions.Options;

namespace Hub.Server.Limits;

/// <summary>The size rule every message text must pass, for the hub and the HTTP API alike (names: <see cref="NameRules"/>).</summary>
internal sealed class InputRules(IOptions<LimitsOptions> options)
{
    private readonly int _maxMessageBytes = options.Value.MaxMessageBytes;

    public void ValidateText(string? text)
    {
        if (text is null)
        {
            throw HubRequestException.Invalid("The message text is missing (null); send a string, empty is allowed.");
        }

        // Cheap bound first: UTF-8 never takes more than 3 bytes per UTF-16 char.
        if (text.Length * 3L > _maxMessageBytes)
        {
            var bytes = Encoding.UTF8.GetByteCount(text);
            if (bytes > _maxMessageBytes)
            {
                throw HubRequestException.Invalid(
                    $"The message text is {bytes} bytes (UTF-8); the limit is {_maxMessageBytes} (Hub:Limits:MaxMessageBytes).");
            }
        }
    }
}
