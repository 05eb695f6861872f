using Hub.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Hub.Tests.Hub;

public sealed class OptionsValidationTests
{
    [TestCase("Hub:Limits:MaxMessageBytes", "0")]
    [TestCase("Hub:Limits:MessagesPerSecond", "-1")]
    [TestCase("Hub:History:Size", "-5")]
    [TestCase("Hub:Presence:NodeTimeoutSeconds", "2")]
    [TestCase("Hub:NodeId", "a/b")]
    public void AnInvalidValue_StopsTheNodeAtStart_NamingTheKey(string key, string value)
    {
        var error = Assert.ThrowsAsync<OptionsValidationException>(
            () => TestNode.StartAsync("node-x", new Dictionary<string, string?> { [key] = value }));

        Assert.That(error!.Message, Does.Contain(key));
    }
}
