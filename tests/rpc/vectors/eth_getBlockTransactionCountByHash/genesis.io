// genesis holds no transactions
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBlockTransactionCountByHash","params":["0xb261ac4620cd8c9a9c6188c6e85ca73eb8d53fb381061b2bf4da5ce1fbf7c6ba"]}
<< {"jsonrpc":"2.0","id":1,"result":"0x0"}
