namespace Hub.Bench.Load;

/// <summary>Where one node listens, and the protocol to speak there.</summary>
internal sealed record Endpoint(Uri Url, ILoadProtocol Protocol)
{
    public Task<ILoadSocket> ConnectAsync(int receiveBufferBytes = 0, CancellationToken cancellationToken = default) =>
        Protocol.ConnectAsync(Url, receiveBufferBytes, cancellationToken);

    public override string ToString() => $"{Url} ({Protocol.Name})";
}
