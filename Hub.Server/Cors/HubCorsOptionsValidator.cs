using Microsoft.Extensions.Options;

namespace Hub.Server.Cors;

/// <summary>Names the entry of <c>Hub:Cors:Origins</c> that is not an origin.</summary>
internal sealed class HubCorsOptionsValidator : IValidateOptions<HubCorsOptions>
{
    public ValidateOptionsResult Validate(string? name, HubCorsOptions options)
    {
        for (var i = 0; i < options.Origins.Count; i++)
        {
            if (!IsOrigin(options.Origins[i]))
            {
                return ValidateOptionsResult.Fail(
                    $"{HubCorsOptions.Section}:Origins:{i} ('{options.Origins[i]}') is not an origin: write scheme, host and a port only when not the default, like https://app.example.com (no path, no trailing slash).");
            }
        }

        return ValidateOptionsResult.Success;
    }

    // An origin is what a browser sends in its Origin header.
    private static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) &&
        uri.Scheme is "http" or "https" &&
        string.Equals(value, uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
}
