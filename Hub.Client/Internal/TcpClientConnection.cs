using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Hub.Client.Internal;

/// <summary>A connected socket as the SignalR client's transport: a duplex pipe over its stream.</summary>
internal sealed class TcpClientConnection : ConnectionContext
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    public TcpClientConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Transport = new DuplexPipe(PipeReader.Create(_stream), PipeWriter.Create(_stream));
        ConnectionId = Guid.NewGuid().ToString("N");
    }

    public override IDuplexPipe Transport { get; set; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override void Abort(ConnectionAbortedException abortReason) => _socket.Dispose();

    public override async ValueTask DisposeAsync()
    {
        await Transport.Input.CompleteAsync();
        await Transport.Output.CompleteAsync();
        await _stream.DisposeAsync();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
