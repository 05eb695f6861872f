using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Hub.Client.Internal;
using Hub.Server.Core;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Hub.Server.Limits;

/// <summary>
/// One connection's protocol, counting every invocation it reads against the connection's token
/// bucket — unknown methods and unbindable arguments too, which SignalR answers before any hub
/// filter runs. An invocation over the limit becomes a binding failure, so SignalR answers it
/// with the limit's message and the connection carries on; a connection that keeps sending after
/// many refusals in a row is closed with the reason, and so is a frame over the size limit, with
/// the setting an operator changes. An argument whose data could not be read says why (see
/// <see cref="Explain"/>), and a connection's first close message only is written (see
/// <see cref="WriteMessage"/>).
/// </summary>
internal sealed class RateLimitedProtocol(IHubProtocol inner, LimitsOptions limits, HubMetrics metrics, TimeProvider time) : IHubProtocol
{

    // A token bucket of its own (two fields, refilled from the elapsed time on each call; no
    // timer, lock or limiter object per connection): SignalR reads a connection's messages one
    // at a time, so only that reading loop touches it.
    private readonly int _burst = 2 * limits.MessagesPerSecond;
    private double _tokens = 2 * limits.MessagesPerSecond;
    private long _refilledAt = time.GetTimestamp();
    private readonly int _floodAfter = 4 * limits.MessagesPerSecond;
    private int _refusedInARow;
    private int _closeWritten;

    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        if (!inner.TryParseMessage(ref input, binder, out message))
        {
            // SignalR hands over at most MaximumReceiveMessageSize bytes and, when no frame ends
            // within them, closes the connection advising AddHubOptions, which an operator
            // cannot reach: the reason names the node's setting instead.
            return input.Length < limits.MaximumReceiveMessageSize
                ? false
                : throw new InvalidDataException(
                    $"A frame over the node's limit of {limits.MaximumReceiveMessageSize} bytes arrived, which follows Hub:Limits:MaxMessageBytes ({limits.MaxMessageBytes}); the connection is closed.");
        }

        // Calls a client asks for, bound or not; its answers (completions, stream items) and pings are free.
        if (message is not (InvocationMessage or StreamInvocationMessage or CancelInvocationMessage
            or InvocationBindingFailureMessage or StreamBindingFailureMessage))
        {
            return true;
        }

        if (TryTake())
        {
            _refusedInARow = 0;
            message = Explain(message);
            return true;
        }

        metrics.Rejected("rate_limited");
        if (++_refusedInARow > _floodAfter)
        {
            // SignalR closes the connection with this message as the reason.
            throw new InvalidDataException(
                $"The connection kept sending after {_floodAfter} calls in a row were refused over the rate limit; it is closed.");
        }

        message = Refuse(message);
        return true;
    }

    // When the node closes a connection (drain, the API) its close message carries the reason and
    // allowReconnect; SignalR writes one of its own, without them, as the connection ends. The
    // JavaScript client acts on every close it reads, so the second would stop it from reconnecting
    // whenever both reach it before the transport closes: only the first is written.
    public void WriteMessage(HubMessage message, IBufferWriter<byte> output)
    {
        if (message is CloseMessage && Interlocked.Exchange(ref _closeWritten, 1) == 1)
        {
            return;
        }

        inner.WriteMessage(message, output);
    }

    /// <summary>
    /// SignalR answers any argument it could not read with "Error binding arguments", whatever the
    /// reason. Data a MessagePack client sent that JSON cannot carry (or too deep) has a reason the
    /// caller can act on: the failure carries it as a <see cref="HubException"/>, whose message
    /// SignalR passes on.
    /// </summary>
    private static HubMessage Explain(HubMessage message)
    {
        if (message is not InvocationBindingFailureMessage failure)
        {
            return message;
        }

        for (var cause = failure.BindingFailure.SourceException; cause is not null; cause = cause.InnerException)
        {
            if (cause is DataFormatException refused)
            {
                return new InvocationBindingFailureMessage(failure.InvocationId, failure.Target,
                    ExceptionDispatchInfo.Capture(new HubException(refused.Message)));
            }
        }

        return message;
    }

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    private bool TryTake()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + time.GetElapsedTime(_refilledAt, now).TotalSeconds * limits.MessagesPerSecond);
        _refilledAt = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }

    private HubMessage Refuse(HubMessage message)
    {
        var error = ExceptionDispatchInfo.Capture(new HubException(
            $"Rate limit exceeded: at most {limits.MessagesPerSecond} calls per second (bursts of {_burst}) per connection (Hub:Limits:MessagesPerSecond); this call was not carried out."));
        return message switch
        {
            InvocationMessage m => new InvocationBindingFailureMessage(m.InvocationId, m.Target, error),
            InvocationBindingFailureMessage m => new InvocationBindingFailureMessage(m.InvocationId, m.Target, error),
            StreamInvocationMessage m => new StreamBindingFailureMessage(m.InvocationId!, error),
            StreamBindingFailureMessage m => new StreamBindingFailureMessage(m.Id, error),
            _ => message,
        };
    }
}
