// not a number: -32602
>> {"jsonrpc":"2.0","id":1,"method":"evm_setNextBlockTimestamp","params":["tomorrow"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: timestamp must be a non-negative integer or a 0x-prefixed hex quantity, got 'tomorrow'"}}
