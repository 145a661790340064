// a block number of 2^64 is simply not found: null
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x10000000000000000",false]}
<< {"jsonrpc":"2.0","id":1,"result":null}
