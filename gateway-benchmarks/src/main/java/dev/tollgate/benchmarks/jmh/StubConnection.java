package dev.tollgate.benchmarks.jmh;

import io.undertow.connector.ByteBufferPool;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.HttpUpgradeListener;
import io.undertow.server.SSLSessionInfo;
import io.undertow.server.ServerConnection;
import org.xnio.ChannelListener;
import org.xnio.Option;
import org.xnio.OptionMap;
import org.xnio.Pool;
import org.xnio.StreamConnection;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;
import org.xnio.conduits.ConduitStreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.StreamSinkConduit;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * A connection for exchanges that never touch the network: addresses are loopback, entity-size
 * updates are ignored, anything that would do IO throws. Lets benchmarks call handlers that read
 * connection state without a running server.
 */
final class StubConnection extends ServerConnection {

    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 8080);
    private static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 50000);

    private static UnsupportedOperationException io() {
        return new UnsupportedOperationException("StubConnection does no IO");
    }

    @Override
    protected void maxEntitySizeUpdated(HttpServerExchange exchange) {
        // nothing to tell: no request channel
    }

    @Override
    public SocketAddress getPeerAddress() {
        return PEER;
    }

    @Override
    public <A extends SocketAddress> A getPeerAddress(Class<A> type) {
        return type.isInstance(PEER) ? type.cast(PEER) : null;
    }

    @Override
    public SocketAddress getLocalAddress() {
        return LOCAL;
    }

    @Override
    public <A extends SocketAddress> A getLocalAddress(Class<A> type) {
        return type.isInstance(LOCAL) ? type.cast(LOCAL) : null;
    }

    @Override
    public OptionMap getUndertowOptions() {
        return OptionMap.EMPTY;
    }

    @Override
    public int getBufferSize() {
        return 16 * 1024;
    }

    @Override
    public SSLSessionInfo getSslSessionInfo() {
        return null;
    }

    @Override
    public void setSslSessionInfo(SSLSessionInfo sessionInfo) {
        throw io();
    }

    @Override
    public void addCloseListener(CloseListener listener) {
        // never closes
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public String getTransportProtocol() {
        return "http/1.1";
    }

    @Override
    public boolean isRequestTrailerFieldsSupported() {
        return false;
    }

    @Override
    public boolean isContinueResponseSupported() {
        return false;
    }

    @Override
    protected boolean isUpgradeSupported() {
        return false;
    }

    @Override
    protected boolean isConnectSupported() {
        return false;
    }

    @Override
    public boolean supportsOption(Option<?> option) {
        return false;
    }

    @Override
    public <T> T getOption(Option<T> option) {
        return null;
    }

    @Override
    public <T> T setOption(Option<T> option, T value) {
        throw io();
    }

    @Override
    public Pool<ByteBuffer> getBufferPool() {
        throw io();
    }

    @Override
    public ByteBufferPool getByteBufferPool() {
        throw io();
    }

    @Override
    public XnioWorker getWorker() {
        throw io();
    }

    @Override
    public XnioIoThread getIoThread() {
        throw io();
    }

    @Override
    public HttpServerExchange sendOutOfBandResponse(HttpServerExchange exchange) {
        throw io();
    }

    @Override
    public void terminateRequestChannel(HttpServerExchange exchange) {
        throw io();
    }

    @Override
    public void close() {
        // nothing to close
    }

    @Override
    public ChannelListener.Setter<? extends ServerConnection> getCloseSetter() {
        throw io();
    }

    @Override
    protected StreamConnection upgradeChannel() {
        throw io();
    }

    @Override
    protected ConduitStreamSinkChannel getSinkChannel() {
        throw io();
    }

    @Override
    protected ConduitStreamSourceChannel getSourceChannel() {
        throw io();
    }

    @Override
    protected StreamSinkConduit getSinkConduit(HttpServerExchange exchange, StreamSinkConduit conduit) {
        throw io();
    }

    @Override
    protected void exchangeComplete(HttpServerExchange exchange) {
        // nothing to recycle
    }

    @Override
    protected void setUpgradeListener(HttpUpgradeListener upgradeListener) {
        throw io();
    }

    @Override
    protected void setConnectListener(HttpUpgradeListener connectListener) {
        throw io();
    }
}
