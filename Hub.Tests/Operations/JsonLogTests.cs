using System.Text.Json;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Operations;

public sealed class JsonLogTests
{
    [Test]
    public async Task WithTheJsonFormatter_EveryLogLineIsAJsonObject_WithCategoryAndMessage()
    {
        await using var node = await NodeProcess.StartAsync("node-json-logs", new Dictionary<string, string?>
        {
            ["Logging:Console:FormatterName"] = "json",
            ["Logging:LogLevel:Default"] = "Information",
        });

        var lines = node.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines, Is.Not.Empty);
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            Assert.That(entry.RootElement.TryGetProperty("Category", out _) && entry.RootElement.TryGetProperty("Message", out _), Is.True, line);
        }
    }
}
