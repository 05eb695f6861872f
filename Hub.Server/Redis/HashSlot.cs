using System.Text;

namespace Hub.Server.Redis;

/// <summary>
/// The Redis Cluster slot of a key: CRC16 (XModem) of the key, or of its first non-empty
/// <c>{tag}</c>, mod 16384, as the Redis Cluster specification says. Hub needs it to pick the
/// partition tags (<see cref="RedisKeys"/>), before any cluster is asked.
/// </summary>
internal static class HashSlot
{
    public const int Count = 16384;

    public static int Of(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        var open = Array.IndexOf(bytes, (byte)'{');
        if (open >= 0)
        {
            var close = Array.IndexOf(bytes, (byte)'}', open + 1);
            if (close > open + 1)
            {
                bytes = bytes[(open + 1)..close];
            }
        }

        return Crc16(bytes) % Count;
    }

    // CRC16-CCITT (XModem): polynomial 0x1021, initial value 0.
    private static int Crc16(byte[] bytes)
    {
        var crc = 0;
        foreach (var b in bytes)
        {
            crc ^= b << 8;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }

            crc &= 0xFFFF;
        }

        return crc;
    }
}
