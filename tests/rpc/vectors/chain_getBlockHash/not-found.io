// a height beyond the head: null
>> {"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":["0x10"]}
<< {"jsonrpc":"2.0","id":1,"result":null}
