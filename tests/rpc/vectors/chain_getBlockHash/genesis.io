// the canonical hash at height 0
>> {"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":["0x0"]}
<< {"jsonrpc":"2.0","id":1,"result":"0xb261ac4620cd8c9a9c6188c6e85ca73eb8d53fb381061b2bf4da5ce1fbf7c6ba"}
