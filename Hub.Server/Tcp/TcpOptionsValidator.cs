using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Hub.Server.Tcp;

/// <summary>Names the <c>Hub:Tcp</c> key that is wrong, its value and what it may be.</summary>
internal sealed class TcpOptionsValidator : IValidateOptions<TcpOptions>
{
    public ValidateOptionsResult Validate(string? name, TcpOptions options)
    {
        if (options.Port is < 0 or > 65535)
        {
            return ValidateOptionsResult.Fail(
                $"{TcpOptions.Section}:Port ('{options.Port}') must be 0 (off) or a port from 1 to 65535.");
        }

        return IsAddress(options.Address)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{TcpOptions.Section}:Address ('{options.Address}') must be an IP address of this machine to listen on: " +
                "127.0.0.1 or ::1 for loopback only, 0.0.0.0 for every IPv4 interface, :: for every interface; not a host name.");
    }

    // Only an IP address: a name would be resolved at start to whatever DNS says then, perhaps to
    // several addresses, and Kestrel reads any name but localhost as every interface, the opposite
    // of what this key is for. IPAddress.TryParse also takes forms nobody means here ("1" is
    // 0.0.0.1, "127.1", octal and hex parts, "[::1]:80"): IPv4 must be its four decimal parts,
    // IPv6 without brackets.
    private static bool IsAddress(string? value) =>
        IPAddress.TryParse(value, out var address) &&
        (address.AddressFamily == AddressFamily.InterNetworkV6 ? !value.Contains('[') : address.ToString() == value);
}
