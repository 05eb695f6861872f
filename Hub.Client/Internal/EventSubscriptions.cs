using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Hub.Client.Internal;

/// <summary>
/// The handlers of <see cref="HubClient.On{T}(string, Action{T, Message})"/>, by event. Every delivery
/// reads them without a lock; adding and removing one copies its event's list.
/// </summary>
internal sealed partial class EventSubscriptions(ILogger logger)
{
    private readonly ConcurrentDictionary<string, Action<Message>[]> _byEvent = new(StringComparer.Ordinal);
    private readonly Lock _changing = new();

    public IDisposable Add<T>(string @event, Action<T, Message> handler)
    {
        void Deliver(Message message)
        {
            T? data;
            try
            {
                data = message.GetData<T>();
            }
            catch (JsonException ex)
            {
                // One message the handler cannot read must not keep the others from it.
                Log.DataNotReadable(logger, message.Event, message.Stream, message.Offset, typeof(T).Name, ex);
                return;
            }

            handler(data!, message);
        }

        // One delegate, so that the subscription removes exactly the one it added.
        Action<Message> delivery = Deliver;
        lock (_changing)
        {
            _byEvent[@event] = _byEvent.TryGetValue(@event, out var handlers) ? [.. handlers, delivery] : [delivery];
        }

        return new Subscription(this, @event, delivery);
    }

    public void Deliver(Message message)
    {
        if (_byEvent.TryGetValue(message.Event, out var handlers))
        {
            foreach (var handler in handlers)
            {
                handler(message);
            }
        }
    }

    private void Remove(string @event, Action<Message> handler)
    {
        lock (_changing)
        {
            if (!_byEvent.TryGetValue(@event, out var handlers))
            {
                return;
            }

            Action<Message>[] rest = [.. handlers.Where(h => !ReferenceEquals(h, handler))];
            if (rest.Length == 0)
            {
                _byEvent.TryRemove(@event, out _);
            }
            else
            {
                _byEvent[@event] = rest;
            }
        }
    }

    private sealed class Subscription(EventSubscriptions owner, string @event, Action<Message> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(@event, handler);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The data of a {Event} message ({Stream} #{Offset}) is not a {Type}; its handler was skipped.")]
        public static partial void DataNotReadable(ILogger logger, string @event, string stream, long offset, string type, Exception exception);
    }
}
