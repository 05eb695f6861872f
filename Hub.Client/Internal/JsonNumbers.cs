using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Hub.Client.Internal;

/// <summary>What MessagePack makes of a JSON number.</summary>
internal enum NumberForm
{
    /// <summary>A 64-bit signed integer.</summary>
    Signed,

    /// <summary>A 64-bit unsigned integer above <see cref="long.MaxValue"/>.</summary>
    Unsigned,

    /// <summary>A double whose shortest text has the number's value.</summary>
    Float,

    /// <summary>Neither: on its way through MessagePack it would change.</summary>
    NotCarried,
}

/// <summary>
/// The one rule for numbers in a message's data. JSON writes a number as decimal text of any length;
/// MessagePack holds 64-bit integers and doubles. A number is carried when it comes back from
/// MessagePack as JSON with the same value: an integer that fits in 64 bits, or a number whose
/// double's shortest text has its value (<c>0.1</c>, <c>1.5e300</c>, not <c>0.10000000000000001</c>
/// nor <c>2^64</c>). Everything else is refused where the message is accepted, never changed on the way.
/// </summary>
internal static class JsonNumbers
{
    // The shortest round-trip text of any double ("-2.2250738585072014E-308") fits.
    private const int MaxDoubleText = 32;

    /// <summary>What <paramref name="text"/>, a number as JSON writes it (the JSON reader checked its grammar), becomes in MessagePack.</summary>
    public static NumberForm Classify(ReadOnlySpan<byte> text, out long signed, out ulong unsigned, out double value)
    {
        signed = 0;
        unsigned = 0;
        value = 0;
        if (text.IndexOfAny(".eE"u8) < 0)
        {
            if (Utf8Parser.TryParse(text, out signed, out var used) && used == text.Length)
            {
                // -0 is no integer in MessagePack: as a double it keeps its sign.
                if (signed == 0 && text[0] == (byte)'-')
                {
                    value = -0.0;
                    return NumberForm.Float;
                }

                return NumberForm.Signed;
            }

            if (Utf8Parser.TryParse(text, out unsigned, out used) && used == text.Length)
            {
                return NumberForm.Unsigned;
            }
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value) &&
            SameValue(text, Shortest(value, stackalloc byte[MaxDoubleText]))
            ? NumberForm.Float
            : NumberForm.NotCarried;
    }

    /// <summary>Why <paramref name="text"/> cannot be carried, for the caller's error.</summary>
    public static string Refusal(ReadOnlySpan<byte> text)
    {
        var shown = text.Length > 40 ? Encoding.UTF8.GetString(text[..40]) + "…" : Encoding.UTF8.GetString(text);
        var comesBack = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? $"it would come back as {Encoding.UTF8.GetString(Shortest(value, stackalloc byte[MaxDoubleText]))}"
            : "it is beyond a double's range";
        return $"The number {shown} in data cannot be carried unchanged: MessagePack holds 64-bit integers and doubles, and {comesBack}. Send it as a string.";
    }

    private static ReadOnlySpan<byte> Shortest(double value, Span<byte> buffer)
    {
        value.TryFormat(buffer, out var written, "R", CultureInfo.InvariantCulture);
        return buffer[..written];
    }

    /// <summary>Whether two decimal texts (JSON's grammar, or a double's "R" text) have the same value.</summary>
    private static bool SameValue(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var x = new DecimalText(a);
        var y = new DecimalText(b);
        if (x.Negative != y.Negative || x.Exponent != y.Exponent || x.DigitCount != y.DigitCount)
        {
            return false;
        }

        for (var i = 0; i < x.DigitCount; i++)
        {
            if (x.Digit(i) != y.Digit(i))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A decimal text as its sign, its significant digits (no leading or trailing zeros) and the
    /// power of ten of the last of them: 1.50 is 15 × 10^-1, 1500 is 15 × 10^2, zero has no digits.
    /// </summary>
    private readonly ref struct DecimalText
    {
        // The mantissa's digits without its point, read in place.
        private readonly ReadOnlySpan<byte> _mantissa;
        private readonly int _point;
        private readonly int _first;

        public DecimalText(ReadOnlySpan<byte> text)
        {
            Negative = text.Length > 0 && text[0] == (byte)'-';
            var body = Negative ? text[1..] : text;
            var e = body.IndexOfAny("eE"u8);
            _mantissa = e < 0 ? body : body[..e];
            _point = _mantissa.IndexOf((byte)'.');
            var digits = _mantissa.Length - (_point < 0 ? 0 : 1);
            var fraction = _point < 0 ? 0 : _mantissa.Length - _point - 1;

            var first = 0;
            while (first < digits && At(first) == (byte)'0')
            {
                first++;
            }

            var last = digits - 1;
            while (last >= first && At(last) == (byte)'0')
            {
                last--;
            }

            _first = first;
            DigitCount = last - first + 1;
            Exponent = DigitCount == 0 ? 0 : (e < 0 ? 0 : ParseExponent(body[(e + 1)..])) - fraction + (digits - 1 - last);
        }

        public bool Negative { get; }

        public long Exponent { get; }

        public int DigitCount { get; }

        public byte Digit(int index) => At(_first + index);

        private byte At(int digit) => _mantissa[_point >= 0 && digit >= _point ? digit + 1 : digit];

        // Clamped far beyond a double's range: such a text reads as infinity or zero and differs anyway.
        private static long ParseExponent(ReadOnlySpan<byte> text)
        {
            long value = 0;
            foreach (var c in text)
            {
                if (c is >= (byte)'0' and <= (byte)'9')
                {
                    value = Math.Min((value * 10) + (c - '0'), 1_000_000_000);
                }
            }

            return text.Length > 0 && text[0] == (byte)'-' ? -value : value;
        }
    }
}
