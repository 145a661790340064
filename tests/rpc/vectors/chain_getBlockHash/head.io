// no number: the head's hash
>> {"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash"}
<< {"jsonrpc":"2.0","id":1,"result":"0x9237926cb0b3fa3776249781570d5a5523e73b8081f9df87b4ac794aacce0702"}
