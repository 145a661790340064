// at an unknown block: -32001
>> {"jsonrpc":"2.0","id":1,"method":"eth_getStorageAt","params":["0x0000000000000000000000000000000000000801","0x0","0x10"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"block 0x10 not found"}}
