using System.Security.Cryptography;

namespace Hub.Server.Connections;

/// <summary>
/// Ids for connections that do not come through SignalR's negotiate, in negotiate's own shape
/// (16 random bytes, base64url): Kestrel's ids are unique in one process only, and a hub
/// connection id must be unique cluster-wide.
/// </summary>
internal static class ConnectionIds
{
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
