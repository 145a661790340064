// seconds must be a number: -32602
>> {"jsonrpc":"2.0","id":1,"method":"evm_increaseTime","params":["soon"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: seconds must be a non-negative integer or a 0x-prefixed hex quantity, got 'soon'"}}
