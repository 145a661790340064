// not an address: -32602
>> {"jsonrpc":"2.0","id":1,"method":"anvil_setBalance","params":["0x12","0x1"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: address must be 20 bytes, got 1"}}
