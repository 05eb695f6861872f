using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hub.Bench.Reporting;

/// <summary>The whole report as JSON, for comparing runs and for the charts of later scenarios.</summary>
internal static class ResultsFile
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        // NaN cannot be written as a JSON number; the bench never makes one, but a broken round must not lose the file.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the report to <paramref name="path"/>, or to BenchResults/&lt;scenario&gt;-&lt;timestamp&gt;.json; returns where.</summary>
    public static string Write(ScenarioReport report, string? path)
    {
        path ??= Path.Combine("BenchResults", $"{report.Scenario}{(report.Smoke ? "-smoke" : "")}-{report.StartedAt:yyyyMMdd-HHmmss}.json");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, JsonSerializer.Serialize(report, Options));
        return path;
    }

    /// <summary>A report written by <see cref="Write"/>, to print and chart it again.</summary>
    /// <exception cref="ArgumentException">The file is missing or is not a results file.</exception>
    public static ScenarioReport Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ScenarioReport>(File.ReadAllText(path), Options)
                ?? throw new ArgumentException($"{path} holds no results.");
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{path} could not be read as bench results: {ex.Message}", ex);
        }
    }
}
