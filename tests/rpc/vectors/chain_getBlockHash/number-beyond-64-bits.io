// a height of 2^64: null
>> {"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":["0x10000000000000000"]}
<< {"jsonrpc":"2.0","id":1,"result":null}
