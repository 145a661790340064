// refused with -32003 naming the reason: no bytes at all
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"MalformedTransaction: empty transaction","data":{"reason":"MalformedTransaction"}}}
