using Hub.Server;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Hub.Tests.Auth;

/// <summary>The Production warning about self-claimed identities is for Mode=None only.</summary>
public sealed class ProductionWarningTests
{
    [TestCase("None", true)]
    [TestCase("Jwt", false)]
    public async Task AtStartInProduction_TheUserQueryWarning_FiresOnlyWithoutAuth(string mode, bool warns)
    {
        var logs = new CapturingLoggerProvider();
        var settings = TestTokens.NodeSettings();
        settings["Hub:Auth:Mode"] = mode;

        await using var app = HubServerApp.Build(["--environment", "Production"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.AddProvider(logs);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        });
        await app.StartAsync().Within();
        await app.StopAsync().Within();

        Assert.That(app.Environment.EnvironmentName, Is.EqualTo("Production"));
        Assert.That(logs.Warnings.Any(w => w.Contains("'user' query parameter")), Is.EqualTo(warns), string.Join("\n", logs.Warnings));
    }
}
