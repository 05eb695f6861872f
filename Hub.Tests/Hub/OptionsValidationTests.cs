using Hub.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Hub.Tests.Hub;

public sealed class OptionsValidationTests
{
    [TestCase("Hub:Limits:MaxMessageBytes", "0")]
    [TestCase("Hub:Limits:MessagesPerSecond", "-1")]
    [TestCase("Hub:History:Size", "-5")]
    [TestCase("Hub:History:WaitReplicas", "-1")]
    [TestCase("Hub:History:WaitTimeout", "00:01:00")]
    [TestCase("Hub:Presence:NodeTimeoutSeconds", "2")]
    [TestCase("Hub:NodeId", "a/b")]
    [TestCase("Hub:Cors:Origins:0", "https://app.example.com/path")]
    [TestCase("Hub:Auth:RestrictGroups", "true")]
    [TestCase("Hub:Auth:Mode", "5")]
    public void AnInvalidValue_StopsTheNodeAtStart_NamingTheKey(string key, string value)
    {
        var error = Assert.ThrowsAsync<OptionsValidationException>(
            () => TestNode.StartAsync("node-x", new Dictionary<string, string?> { [key] = value }));

        Assert.That(error!.Message, Does.Contain(key));
    }

    [TestCase(null, "is required")]
    [TestCase("31-bytes-is-one-short-of-enough", "is 31 bytes; HS256 needs at least 32")]
    [TestCase("base64:not base64!", "the rest is not valid base64")]
    [TestCase("base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", "is 31 bytes; HS256 needs at least 32")]
    public void AnUnusableSigningKeyInJwtMode_StopsTheNodeAtStart_NamingTheKey(string? key, string problem)
    {
        var settings = new Dictionary<string, string?> { ["Hub:Auth:Mode"] = "Jwt", ["Hub:Auth:Jwt:SigningKey"] = key };

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => TestNode.StartAsync("node-x", settings));

        Assert.That(error!.Message, Does.Contain("Hub:Auth:Jwt:SigningKey").And.Contain(problem));
    }

    [Test]
    public void AnUnknownAuthMode_StopsTheNodeAtStart_NamingTheKey()
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(
            () => TestNode.StartAsync("node-x", new Dictionary<string, string?> { ["Hub:Auth:Mode"] = "Oauth" }));

        Assert.That(error!.Message, Does.Contain("Hub:Auth:Mode"));
    }
}
