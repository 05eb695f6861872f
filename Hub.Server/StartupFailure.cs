using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Hub.Server;

/// <summary>
/// Why a node could not start, in lines an operator can act on: each invalid setting with its key,
/// its value and what is allowed, a port in use. Null for anything else, which is a fault of the
/// node's own and keeps its stack.
/// </summary>
internal static partial class StartupFailure
{
    public static IReadOnlyList<string>? Explain(Exception exception)
    {
        switch (exception)
        {
            case OptionsValidationException invalid:
                return [.. invalid.Failures];
            case AggregateException several:
                var lines = several.Flatten().InnerExceptions.Select(Explain).ToList();
                return lines.Any(l => l is null) ? null : [.. lines.SelectMany(l => l!)];
            case IOException { InnerException: AddressInUseException } inUse:
                return [$"{inUse.Message} Another process listens there: stop it, or give the node other URLs (--urls, ASPNETCORE_URLS)."];
            case InvalidOperationException when NotConvertible().Match(exception.Message) is { Success: true } match:
                return [NotConvertibleLine(match.Groups["key"].Value, match.Groups["value"].Value, match.Groups["type"].Value)];
            default:
                return null;
        }
    }

    // The configuration binder's words for a value it cannot read as the setting's type.
    [GeneratedRegex("^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex NotConvertible();

    private static string NotConvertibleLine(string key, string value, string typeName)
    {
        var type = Type.GetType(typeName) ?? typeof(StartupFailure).Assembly.GetType(typeName);
        var allowed = type switch
        {
            { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type)),
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(TimeSpan) => "a time span such as 00:05:00",
            _ when type is not null && (type == typeof(int) || type == typeof(long)) => "a whole number",
            _ => $"a value of type {type?.Name ?? typeName}",
        };
        return $"{key} ('{value}') must be {allowed}.";
    }
}
