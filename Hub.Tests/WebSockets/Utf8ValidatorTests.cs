using System.Text;
using System.Text.Unicode;
using Hub.Server.WebSockets;

namespace Hub.Tests.WebSockets;

/// <summary>
/// The direct path's UTF-8 check of text messages, fed in pieces as frames and reads cut them:
/// held against the framework's whole-message check (<see cref="Utf8.IsValid"/>), and failing at
/// the first byte after which no bytes could make the text valid.
/// </summary>
public sealed class Utf8ValidatorTests
{
    public static IEnumerable<TestCaseData> Samples() =>
        AutobahnCases.All()
            .Where(c => c.Id.StartsWith("6.", StringComparison.Ordinal) && c.Steps.Count == 1 && TextOf(c.Steps[0].Bytes) is not null)
            .Select(c => new TestCaseData(TextOf(c.Steps[0].Bytes)).SetArgDisplayNames(c.Id))
            .Append(new TestCaseData("€ and 𤭢 and κόσμε"u8.ToArray()).SetArgDisplayNames("mixed widths"));

    [TestCaseSource(nameof(Samples))]
    public void Text_CutAnywhereInTwo_GetsTheVerdictOfTheWhole(byte[] text)
    {
        var valid = Utf8.IsValid(text);
        for (var cut = 0; cut <= text.Length; cut++)
        {
            var validator = new Utf8Validator();

            var accepted = validator.TryAppend(text.AsSpan(0, cut)) && validator.TryAppend(text.AsSpan(cut));

            Assert.That(accepted && validator.AtBoundary, Is.EqualTo(valid), $"cut after {cut} bytes of {Convert.ToHexString(text)}");
        }
    }

    [TestCaseSource(nameof(Samples))]
    public void Text_AByteAtATime_FailsAtTheFirstByteNoTextCouldFollow(byte[] text)
    {
        var validator = new Utf8Validator();
        var failedAt = -1;
        for (var i = 0; i < text.Length && failedAt < 0; i++)
        {
            failedAt = validator.TryAppend(text.AsSpan(i, 1)) ? -1 : i;
        }

        var firstHopeless = Enumerable.Range(0, text.Length).FirstOrDefault(i => !CouldStillBeUtf8(text[..(i + 1)]), -1);
        Assert.That(failedAt, Is.EqualTo(firstHopeless), Convert.ToHexString(text));
        Assert.That(failedAt < 0 && validator.AtBoundary, Is.EqualTo(Utf8.IsValid(text)), "at the end, no code point is left cut short");
    }

    [Test]
    public void ACodePointCutShort_WaitsForItsLastBytes_AcrossPieces()
    {
        var validator = new Utf8Validator();

        Assert.Multiple(() =>
        {
            Assert.That(validator.TryAppend("a"u8), Is.True);
            Assert.That(validator.TryAppend([0xf0]), Is.True);
            Assert.That(validator.TryAppend([]), Is.True, "an empty piece changes nothing");
            Assert.That(validator.TryAppend([0x9f, 0x98]), Is.True);
            Assert.That(validator.AtBoundary, Is.False, "3 bytes of 😀 wait for the fourth");
            Assert.That(validator.TryAppend([0x80, (byte)'b']), Is.True);
            Assert.That(validator.AtBoundary, Is.True);
        });
    }

    [Test]
    public void AnInvalidContinuationOfAPendingCodePoint_Fails()
    {
        var validator = new Utf8Validator();

        Assert.That(validator.TryAppend([0xe2, 0x82]), Is.True);
        Assert.That(validator.TryAppend("A"u8), Is.False);
    }

    [Test]
    public void APieceOfManyCodePoints_EndingInsideOne_KeepsOnlyThatOnesBytes()
    {
        var validator = new Utf8Validator();
        byte[] text = [.. Encoding.UTF8.GetBytes(new string('€', 1000)), 0xe2, 0x82];

        Assert.That(validator.TryAppend(text), Is.True);
        Assert.That(validator.AtBoundary, Is.False);
        Assert.That(validator.TryAppend([0xac]), Is.True);
        Assert.That(validator.AtBoundary, Is.True);
    }

    // Whether some bytes could still follow and make the text valid UTF-8: a code point cut short
    // lacks at most 3 continuation bytes, and only their first's range matters (E0, ED, F0 and F4
    // narrow it), so the range ends stand for all of them.
    private static bool CouldStillBeUtf8(byte[] prefix)
    {
        byte[] candidates = [0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf];
        IEnumerable<byte[]> endings = [[]];
        for (var missing = 1; missing <= 3; missing++)
        {
            endings = endings.Concat(Combinations(candidates, missing));
        }

        return endings.Any(ending => Utf8.IsValid([.. prefix, .. ending]));
    }

    private static IEnumerable<byte[]> Combinations(byte[] candidates, int length) =>
        length == 0 ? [[]] : Combinations(candidates, length - 1).SelectMany(head => candidates.Select(b => (byte[])[.. head, b]));

    // The payload of a case's step that is one whole text message in one short frame; null for any other step.
    private static byte[]? TextOf(byte[] step)
    {
        var length = step[1] & 0x7F;
        if (step[0] != 0x81 || length > 125 || step.Length != 6 + length)
        {
            return null;
        }

        return [.. step.Skip(6).Select((b, i) => (byte)(b ^ step[2 + (i % 4)]))];
    }
}
