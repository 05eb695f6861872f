using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Hub.Server.Coalescing;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Coalescing;

/// <summary>
/// A connection's output in front of its socket's pipe: what the bus loop writes to it while more
/// messages wait is flushed once, at the end of the run, in order; anything else at once.
/// </summary>
public sealed class CoalescingWriterTests
{
    private readonly StringBuilder _received = new();
    private Pipe _socket = null!;
    private PlainWriter _writer = null!;

    [SetUp]
    public void Create()
    {
        // The socket's pipe as Kestrel's is: a writer past the threshold waits for the reader.
        _socket = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));
        _writer = new PlainWriter(_socket.Writer);
        _received.Clear();
    }

    [Test]
    public async Task AMessage_OutsideARun_IsFlushedAtOnce()
    {
        await _writer.WriteAsync(Bytes("m1;")).AsTask().Within();

        Assert.That(ReadNow(), Is.EqualTo("m1;"));
    }

    [Test]
    public async Task AMessage_ToAnIdleConnection_IsFlushedAsSoonAsItIsWritten_WithNothingWaitingBehindIt()
    {
        var batch = new WriteBatch();

        await batch.Deliver(() => _writer.WriteAsync(Bytes("alone;")).AsTask(), moreWaiting: () => false).Within();

        Assert.That(ReadNow(), Is.EqualTo("alone;"), "no timer, no waiting for a second message");
    }

    [Test]
    public async Task ABurst_WhileMoreWait_LeavesInOneWrite_InOrder_WhenTheQueueEmpties()
    {
        var batch = new WriteBatch();
        const int burst = 20;

        for (var i = 0; i < burst; i++)
        {
            var n = i;
            await batch.Deliver(() => _writer.WriteAsync(Bytes($"m{n};")).AsTask(), moreWaiting: () => n < burst - 1).Within();
            if (n < burst - 1)
            {
                Assert.That(_socket.Reader.TryRead(out _), Is.False, $"message {n} is held while more wait");
            }
        }

        Assert.That(ReadNow(), Is.EqualTo(string.Concat(Enumerable.Range(0, burst).Select(i => $"m{i};"))), "one flush, every message, in order");
    }

    [Test]
    public async Task ARun_IsFlushed_AfterMaxMessages_EvenWhileMoreWait()
    {
        var batch = new WriteBatch();

        for (var i = 0; i < WriteBatch.MaxMessages; i++)
        {
            var n = i;
            await batch.Deliver(() => _writer.WriteAsync(Bytes($"m{n};")).AsTask(), moreWaiting: () => true).Within();
        }

        Assert.That(ReadNow(), Is.EqualTo(string.Concat(Enumerable.Range(0, WriteBatch.MaxMessages).Select(i => $"m{i};"))));
    }

    [Test]
    public async Task ABurst_LargerThanTheCap_LeavesInSeveralWrites_NoneLargerThanTheCapAndOneMessage_AllInOrder()
    {
        var batch = new WriteBatch();
        var message = new string('x', 1000);
        const int burst = 40;
        var writes = new List<int>();
        var expected = new StringBuilder();

        for (var i = 0; i < burst; i++)
        {
            var text = $"{i:D3}{message};";
            expected.Append(text);
            await batch.Deliver(() => _writer.WriteAsync(Bytes(text)).AsTask(), moreWaiting: () => true).Within();
            while (_socket.Reader.TryRead(out var result))
            {
                writes.Add((int)result.Buffer.Length);
                _received.Append(Encoding.UTF8.GetString(result.Buffer));
                _socket.Reader.AdvanceTo(result.Buffer.End);
            }
        }

        batch.Flush();
        _received.Append(ReadNow());

        Assert.Multiple(() =>
        {
            Assert.That(writes, Has.Count.GreaterThanOrEqualTo(2), "the cap flushed before the run ended");
            Assert.That(writes, Has.All.LessThanOrEqualTo(CoalescingWriter.MaxHeldBytes + message.Length + 5));
            Assert.That(_received.ToString(), Is.EqualTo(expected.ToString()), "every message, in order, across the writes");
        });
    }

    [Test]
    public async Task WhatARun_Holds_IsFlushed_WhenADeliveryFails_OrCannotTellWhetherMoreWait()
    {
        var batch = new WriteBatch();
        await batch.Deliver(() => _writer.WriteAsync(Bytes("held;")).AsTask(), moreWaiting: () => true).Within();

        Assert.Throws<NotSupportedException>(() => batch.Deliver(
            () => _writer.WriteAsync(Bytes("last;")).AsTask(),
            moreWaiting: () => throw new NotSupportedException("the queue cannot count")));

        Assert.That(ReadNow(), Is.EqualTo("held;last;"));
    }

    [Test]
    public async Task AWriteFromElsewhere_DuringARun_FlushesWhatIsHeld_BeforeItself()
    {
        var batch = new WriteBatch();
        await batch.Deliver(() => _writer.WriteAsync(Bytes("held;")).AsTask(), moreWaiting: () => true).Within();

        // SignalR's ping, from its timer: no run on that thread.
        await Task.Run(() => _writer.WriteAsync(Bytes("ping;")).AsTask()).Within();

        Assert.That(ReadNow(), Is.EqualTo("held;ping;"));
        batch.Flush();
        Assert.That(_socket.Reader.TryRead(out _), Is.False, "the end of the run has nothing more to flush");
    }

    [Test]
    public async Task WhatSignalRWritesPieceByPiece_InARun_IsHeldAndFlushedWithTheRest()
    {
        var batch = new WriteBatch();

        await batch.Deliver(() =>
        {
            // A message serialized for one connection (a completion): GetSpan, Advance, FlushAsync.
            _writer.Write(Bytes("piece;"));
            return _writer.FlushAsync().AsTask();
        }, moreWaiting: () => true).Within();
        await batch.Deliver(() => _writer.WriteAsync(Bytes("whole;")).AsTask(), moreWaiting: () => false).Within();

        Assert.That(ReadNow(), Is.EqualTo("piece;whole;"));
    }

    [Test]
    public async Task ASlowReader_StillPushesBack_OnTheNextMessage_AndGetsEverything()
    {
        var batch = new WriteBatch();
        var message = Bytes(new string('y', 10_000) + ";");
        var accepted = 0;

        // Nobody reads the socket: held runs are flushed until the pipe passes its threshold.
        Task? waiting = null;
        for (var i = 0; i < 100 && waiting is null; i++)
        {
            Task write = null!;
            _ = batch.Deliver(() => write = _writer.WriteAsync(message).AsTask(), moreWaiting: () => true);
            if (write.IsCompleted)
            {
                accepted++;
            }
            else
            {
                waiting = write;
            }
        }

        Assert.That(waiting, Is.Not.Null, "a message waits once the socket's pipe is full, as without coalescing");
        Assert.That(accepted * message.Length, Is.LessThan(64 * 1024 + CoalescingWriter.MaxHeldBytes + message.Length), "the writer takes no more than the pipe's limit and one run");

        var read = 0L;
        while (read < (accepted + 1) * (long)message.Length)
        {
            var result = await _socket.Reader.ReadAsync().AsTask().Within();
            read += result.Buffer.Length;
            _socket.Reader.AdvanceTo(result.Buffer.End);
        }

        await waiting!.Within();
        Assert.That(read, Is.EqualTo((accepted + 1) * (long)message.Length), "every message once the reader catches up");
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    // What the socket has been given so far: a held message is not there yet, so there is nothing to wait for.
    private string ReadNow()
    {
        if (!_socket.Reader.TryRead(out var result))
        {
            return "";
        }

        var text = Encoding.UTF8.GetString(result.Buffer);
        _socket.Reader.AdvanceTo(result.Buffer.End);
        return text;
    }
}
