using System.Buffers;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Hub;

/// <summary>
/// The JavaScript client acts on every close message it reads: a connection the node closes
/// (drain, the API) must be sent that close, with its reason and allowReconnect, and no other.
/// </summary>
public sealed class CloseMessageTests() : ClusterTest(Topology.InMemory)
{
    [TestCase("json")]
    [TestCase("messagepack")]
    public void AConnectionIsSentItsFirstCloseMessageOnly_NotSignalRsOwnAfterIt(string protocolName)
    {
        // Each connection has its own protocol instance; this is one connection's.
        var protocol = NodeA.Services.GetRequiredService<IHubProtocolResolver>().GetProtocol(protocolName, null)!;
        var output = new ArrayBufferWriter<byte>();

        protocol.WriteMessage(new CloseMessage("The node is shutting down; reconnect to another node.", allowReconnect: true), output);
        protocol.WriteMessage(CloseMessage.Empty, output);

        var written = new ReadOnlySequence<byte>(output.WrittenMemory);
        var closes = new List<CloseMessage>();
        while (protocol.TryParseMessage(ref written, new NoBinder(), out var message))
        {
            closes.Add((CloseMessage)message);
        }

        Assert.That(closes, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(closes[0].AllowReconnect, Is.True);
            Assert.That(closes[0].Error, Does.Contain("shutting down"));
        });
    }

    private sealed class NoBinder : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => throw new NotSupportedException();

        public Type GetReturnType(string invocationId) => throw new NotSupportedException();

        public Type GetStreamItemType(string streamId) => throw new NotSupportedException();
    }
}
