using Hub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hub.Tests.Browser;

/// <summary>The demo page on a phone's screen: nothing cut off, nothing to scroll sideways, every control within reach.</summary>
public sealed class DemoPageLayoutTests() : BrowserTest(Topology.InMemory)
{
    // Long words that cannot wrap at a space: a group name and a message, as a person may well type them.
    private const string LongGroup = "a_room_whose_name_is_far_too_long_for_one_line_of_a_phone";
    private const string LongText = "https://example.org/a/link/far/too/long/for/one/line/of/a/phone/screen";

    [TestCase(390, 844)]
    [TestCase(320, 568)]
    public async Task OnAPhone_ThePageFitsTheScreen_AndItsControlsAreWithinReach(int width, int height)
    {
        var browserPage = await NewPageAsync();
        await browserPage.SetViewportSizeAsync(width, height).Within();
        var page = await DemoPage.OpenAsync(browserPage, NodeA, "?user=alice");
        await page.ExpectStateAsync("connected");
        await page.JoinAsync(LongGroup);
        await page.SendAsync(LongText);
        await page.WaitForMessageAsync(LongText);

        var scrollWidth = await browserPage.EvaluateAsync<int>("document.documentElement.scrollWidth").Within();
        var outside = new List<string>();
        foreach (var control in new[] { "#connect", "#disconnect", "#join", "#text", "#send", $"#groups li[data-group='{LongGroup}'] button.leave" })
        {
            // Up or down is a phone's ordinary scroll; sideways is what must never be needed, so the
            // page is put back at its left edge before the control is measured.
            var locator = browserPage.Locator(control);
            await locator.ScrollIntoViewIfNeededAsync();
            await browserPage.EvaluateAsync("window.scrollTo(0, window.scrollY)").Within();
            var box = await locator.BoundingBoxAsync().Within();
            if (box is null || box.X < 0 || box.X + box.Width > width || box.Y < 0 || box.Y + box.Height > height)
            {
                outside.Add($"{control} at {Describe(box)}");
            }
        }

        await browserPage.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepoPaths.TestResults, $"demo-page-{width}px.png"), FullPage = true }).Within();
        Assert.Multiple(() =>
        {
            Assert.That(scrollWidth, Is.LessThanOrEqualTo(width), "the document's width: more means scrolling sideways");
            Assert.That(outside, Is.Empty, $"controls not fully inside the {width}×{height} viewport");
        });
    }

    private static string Describe(LocatorBoundingBoxResult? box) =>
        box is null ? "nowhere (not rendered)" : $"x {box.X}..{box.X + box.Width}, y {box.Y}..{box.Y + box.Height}";
}
