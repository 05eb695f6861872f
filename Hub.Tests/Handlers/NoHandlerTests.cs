using Hub.Client;
using Hub.Server.Handlers;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Handlers;

/// <summary>The stand-alone server without a handler: nothing is asked, and <c>Call</c> says there is no method.</summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class NoHandlerTests(Topology topology) : ClusterTest(topology)
{
    [Test]
    public async Task Call_WithoutAHandler_FailsWithAClearError_AndTheConnectionCarriesOn()
    {
        var alice = await ConnectAsync(NodeA, "alice");

        var refused = Assert.ThrowsAsync<HubException>(() => alice.Client.CallAsync<int>("add", new { a = 1, b = 2 }).Within());
        var sent = await alice.Client.SendAsync("still here").Within();

        Assert.That(refused!.Message, Does.EndWith("There is no method 'add': this hub has no application handler."));
        await alice.Messages.WaitForAsync(m => m.Id == sent.Id, "a message after the failed call");
        Assert.That(NodeA.Services.GetRequiredService<ApplicationHandler>().Handler, Is.Null);
    }

    [TestCase("")]
    [TestCase("a\u0001b")]
    public async Task Call_OfAnInvalidMethodName_FailsSayingWhy(string method)
    {
        var alice = await ConnectAsync(NodeA, "alice");

        var refused = Assert.ThrowsAsync<HubException>(() => alice.Client.CallAsync<int>(method, null).Within());

        Assert.That(refused!.Message, Does.Contain("The method name"));
    }
}
