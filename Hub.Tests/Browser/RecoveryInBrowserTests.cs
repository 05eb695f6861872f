using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Browser;

/// <summary>
/// The demo page, with hub-recovery.js, in Chromium: its node goes away while messages are sent
/// to its group, and another node takes its place behind the same address.
/// </summary>
public sealed class RecoveryInBrowserTests() : BrowserTest(Topology.Redis)
{
    [Test]
    public async Task ThePage_ResumesOnTheReplacementNode_AndShowsEveryMissedMessageOnce_InOrder()
    {
        var (page, sender, sent) = await PageInARoomAsync();

        await NodeB.StopAsync();
        await page.ExpectStateAsync("reconnecting");
        for (var i = 0; i < 50; i++)
        {
            sent.Add(await sender.Client.SendToGroupAsync("room", $"missed {i}").Within());
        }

        await RestartNodeBAsync(page);
        sent.Add(await sender.Client.SendToGroupAsync("room", "after").Within());
        await page.WaitForMessageAsync("after");

        var shown = await page.Page.EvaluateAsync<string[]>("hubDemo.messages.filter(m => m.stream === 'group:room').map(m => m.id)").Within();
        var lost = await page.Page.EvaluateAsync<string[]>("hubDemo.lost").Within();
        Assert.Multiple(() =>
        {
            Assert.That(shown, Is.EqualTo(sent.Select(r => r.Id)), "every group message once, in order");
            Assert.That(lost, Is.Empty);
        });
    }

    [Test]
    public async Task WhenRedisLostTheHistory_ThePageIsToldMessagesWereLost()
    {
        var (page, sender, _) = await PageInARoomAsync();

        await NodeB.StopAsync();
        await page.ExpectStateAsync("reconnecting");
        await Redis!.FlushAllAsync().Within();
        await sender.Client.SendToGroupAsync("room", "in the new epoch").Within();
        await RestartNodeBAsync(page);

        await page.WaitForMessageAsync("in the new epoch");
        var lost = await page.Page.EvaluateAsync<string[]>("hubDemo.lost").Within();
        Assert.That(lost, Does.Contain("group:room"));
    }

    private async Task<(DemoPage Page, TestClient Sender, List<SendResult> Sent)> PageInARoomAsync()
    {
        var page = await DemoPage.OpenAsync(await NewPageAsync(), NodeB, "?user=bob");
        await page.ExpectStateAsync("connected");
        await page.JoinAsync("room");
        var sender = await ConnectAsync(NodeA, "alice");
        var before = await sender.Client.SendToGroupAsync("room", "before").Within();
        await page.WaitForMessageAsync("before");
        return (page, sender, [before]);
    }

    private async Task RestartNodeBAsync(DemoPage page)
    {
        Own(await StartNodeAsync("node-b-replacement", NodeB.BaseUrl.Port));
        await page.ExpectStateAsync("reconnected");
    }
}
