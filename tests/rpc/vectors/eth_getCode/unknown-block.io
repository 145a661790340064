// at a block the chain does not have: -32001
>> {"jsonrpc":"2.0","id":1,"method":"eth_getCode","params":["0x0000000000000000000000000000000000000801","0x100000"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"block 0x100000 not found"}}
